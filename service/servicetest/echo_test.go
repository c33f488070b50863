package servicetest_test

import (
	"bytes"
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// TestEcho: the echo answers every authenticated client with the request cut
// or padded to its reply length, and refuses, as the service does, a client
// without a certificate of the service's client CA.
func TestEcho(t *testing.T) {
	ca := servicetest.NewCA(t, "echo CA")
	addr := servicetest.StartEcho(t, ca.TLS(ca.Server(t)), 4)
	conn := ca.Conn(t, addr, ca.Client(t, "trader"))
	for _, tc := range []struct {
		in, want []byte
	}{
		{[]byte("abcdef"), []byte("abcd")},
		{[]byte("ab"), []byte("ab\x00\x00")},
		{nil, []byte{0, 0, 0, 0}},
	} {
		got, err := servicetest.Echo(context.Background(), conn, tc.in)
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("Echo(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	other := servicetest.NewCA(t, "another CA")
	stranger := other.Conn(t, addr, other.Client(t, "trader"))
	if _, err := servicetest.Echo(context.Background(), stranger, []byte("x")); status.Code(err) != codes.Unavailable {
		t.Errorf("a client of another CA: %v, want Unavailable (handshake refused)", err)
	}
}

// TestEchoPayload: an echo payload of EchoPayload(m) bytes is as long on the
// wire as m, or a byte shorter where one byte more would be longer than m.
func TestEchoPayload(t *testing.T) {
	size := func(n int) int { return proto.Size(&wrapperspb.BytesValue{Value: make([]byte, n)}) }
	exact := 0
	for n := range 20000 {
		m := &signerpb.SignRequest{Key: "orders", Message: make([]byte, n)}
		p, want := servicetest.EchoPayload(m), proto.Size(m)
		switch got := size(p); {
		case got == want:
			exact++
		case got == want-1 && size(p+1) > want:
		default:
			t.Fatalf("message of %d bytes (%d on the wire): echo payload %d is %d bytes on the wire", n, want, p, got)
		}
	}
	if exact < 19990 {
		t.Errorf("only %d of 20000 sizes fit exactly", exact)
	}
}
