package servicetest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/mtls"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
)

// EchoMethod is the full gRPC method name of the echo service that
// StartEcho serves.
const EchoMethod = "/tinywindow.servicetest.Echo/Echo"

// StartEcho starts, on a free loopback port, a bare gRPC server that
// answers EchoMethod and nothing else but the health service, and returns
// its address; it stops when the test ends. It is the raw baseline against
// which benchmarks measure the signing service: it serves with the TLS
// settings a service configured with tc has (TLS 1.3, tc's certificate and
// key, X25519MLKEM768 first, HTTP/2, a client certificate of tc.ClientCA
// required), and its health service says SERVING for the Signer service, as
// the remote backend's health checks ask; it has no interceptor, no
// authorisation and no metrics. Each call answers the request's bytes cut or
// zero-padded to reply bytes, so that a benchmark can make the echo's
// messages as long as the calls it stands for (EchoPayload).
func StartEcho(t TB, tc service.TLSConfig, reply int) string {
	t.Helper()
	certPEM, err := os.ReadFile(tc.Cert)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := provider.ReadSecret(tc.KeySource)
	if err != nil {
		t.Fatal(err)
	}
	defer provider.Zero(keyPEM)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(tc.ClientCA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("servicetest: no PEM certificate in", tc.ClientCA)
	}
	srv := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(&tls.Config{
			MinVersion:       tls.VersionTLS13,
			Certificates:     []tls.Certificate{cert},
			ClientAuth:       tls.RequireAndVerifyClientCert,
			ClientCAs:        pool,
			NextProtos:       []string{"h2"},
			CurvePreferences: mtls.CurvePreferences(false),
		})),
		grpc.ConnectionTimeout(10*time.Second),
	)
	srv.RegisterService(&echoDesc, echoServer{reply: reply})
	hs := health.NewServer()
	hs.SetServingStatus(signerpb.Signer_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return lis.Addr().String()
}

// Echo calls EchoMethod on conn with msg and returns the answer.
func Echo(ctx context.Context, conn grpc.ClientConnInterface, msg []byte) ([]byte, error) {
	out := new(wrapperspb.BytesValue)
	if err := conn.Invoke(ctx, EchoMethod, &wrapperspb.BytesValue{Value: msg}, out); err != nil {
		return nil, err
	}
	return out.Value, nil
}

// EchoPayload returns the length of the longest echo payload whose message
// is no longer on the wire than m: as long as m, or a byte shorter where the
// length prefix leaves no exact fit. An echo of EchoPayload(req) bytes
// answered with EchoPayload(resp) bytes moves as many bytes as the call of
// req answered by resp.
func EchoPayload(m proto.Message) int {
	want := proto.Size(m)
	for n := want; n >= 0; n-- {
		if proto.Size(&wrapperspb.BytesValue{Value: make([]byte, n)}) <= want {
			return n
		}
	}
	return 0
}

type echoServer struct{ reply int }

var echoDesc = grpc.ServiceDesc{
	ServiceName: "tinywindow.servicetest.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(srv any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.BytesValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			out := make([]byte, srv.(echoServer).reply)
			copy(out, in.Value)
			return &wrapperspb.BytesValue{Value: out}, nil
		},
	}},
	Metadata: "servicetest/echo",
}
