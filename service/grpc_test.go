package service_test

import (
	"context"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// reflect asks the server reflection service of conn for its services and
// for the methods of tinywindow.signer.v1.Signer.
func reflect(ctx context.Context, conn *grpc.ClientConn) (services, methods []string, err error) {
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer stream.CloseSend()
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		return nil, nil, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return nil, nil, err
	}
	for _, s := range resp.GetListServicesResponse().GetService() {
		services = append(services, s.GetName())
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "tinywindow.signer.v1.Signer"}}); err != nil {
		return nil, nil, err
	}
	if resp, err = stream.Recv(); err != nil {
		return nil, nil, err
	}
	if e := resp.GetErrorResponse(); e != nil {
		return nil, nil, status.Error(codes.Code(e.GetErrorCode()), e.GetErrorMessage())
	}
	for _, raw := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
		var fd descriptorpb.FileDescriptorProto
		if err := proto.Unmarshal(raw, &fd); err != nil {
			return nil, nil, err
		}
		for _, s := range fd.GetService() {
			if fd.GetPackage()+"."+s.GetName() == "tinywindow.signer.v1.Signer" {
				for _, m := range s.GetMethod() {
					methods = append(methods, m.GetName())
				}
			}
		}
	}
	return services, methods, nil
}

// TestReflectionAndHealth: server reflection and the health service answer
// every client whose certificate the service trusts, including one with no
// clients entry, which is still refused every Signer call. A certificate
// from another CA gets nothing.
func TestReflectionAndHealth(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "  orders: hmac:seed=42\n")
	wantServices := []string{"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
		"grpc.reflection.v1alpha.ServerReflection", "tinywindow.signer.v1.Signer"}
	wantMethods := []string{"Sign", "SignDigest", "SignOrder", "SignAck", "SignCheckpoint", "Verify", "PublicKey", "ListKeys", "Kill", "Resume"}
	for _, tc := range []struct {
		name       string
		client     servicetest.Cert
		mayListKey bool
	}{
		{"configured client", e.trader, true},
		{"authenticated, not in clients", e.ca.Client(t, "stranger"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := e.ca.Conn(t, e.addr, tc.client)
			services, methods, err := reflect(ctx, conn)
			if err != nil {
				t.Fatalf("reflection: %v", err)
			}
			slices.Sort(services)
			if !slices.Equal(services, wantServices) {
				t.Errorf("services %q, want %q", services, wantServices)
			}
			slices.Sort(methods)
			if w := slices.Sorted(slices.Values(wantMethods)); !slices.Equal(methods, w) {
				t.Errorf("Signer methods %q, want %q", methods, w)
			}
			for _, svc := range []string{"", "tinywindow.signer.v1.Signer"} {
				resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
				if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
					t.Errorf("health of %q: %v %v", svc, resp, err)
				}
			}
			_, err = signerpb.NewSignerClient(conn).ListKeys(ctx, &signerpb.ListKeysRequest{})
			if got := status.Code(err); (err == nil) != tc.mayListKey || (err != nil && got != codes.PermissionDenied) {
				t.Errorf("ListKeys: %v", err)
			}
		})
	}
	t.Run("certificate of another CA", func(t *testing.T) {
		other := servicetest.NewCA(t, "another CA")
		conn := e.ca.Conn(t, e.addr, other.Client(t, "trader"))
		if _, _, err := reflect(ctx, conn); status.Code(err) != codes.Unavailable {
			t.Errorf("reflection with a certificate of another CA: %v, want Unavailable", err)
		}
		if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); status.Code(err) != codes.Unavailable {
			t.Errorf("health with a certificate of another CA: %v, want Unavailable", err)
		}
	})
}

var labelForm = regexp.MustCompile(`^[a-z][a-z0-9]*(\.[a-z0-9]+)*\.[A-Z][A-Za-z0-9]*/[A-Z][A-Za-z0-9]*$`)

// TestMethodLabels: every metric names a method the same way, gRPC's full
// method name without the leading slash; the one other value is the
// refused TLS handshake.
func TestMethodLabels(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "  orders: hmac:seed=42\n")
	hs := httptest.NewServer(e.srv.MetricsHandler())
	defer hs.Close()
	if _, err := e.open(t, "orders").Sign(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	stranger := e.ca.Conn(t, e.addr, e.ca.Client(t, "stranger"))
	if _, err := signerpb.NewSignerClient(stranger).Sign(ctx, &signerpb.SignRequest{Key: "orders", Message: []byte("x")}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("sign by a client not in clients: %v", err)
	}
	if _, _, err := reflect(ctx, stranger); err != nil {
		t.Fatal(err)
	}
	trader := e.ca.Conn(t, e.addr, e.trader)
	if _, err := healthpb.NewHealthClient(trader).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	other := servicetest.NewCA(t, "another CA")
	if _, err := healthpb.NewHealthClient(e.ca.Conn(t, e.addr, other.Client(t, "x"))).Check(ctx, &healthpb.HealthCheckRequest{}); err == nil {
		t.Fatal("a certificate of another CA was accepted")
	}
	// In TLS 1.3 the server refuses a client certificate after the client
	// has finished its half of the handshake, so the refusal may be counted
	// after the client has seen it.
	for i := 0; scrape(t, hs.URL, "tinywindow_service_denied_total", `rpc_method="handshake"`) == 0; i++ {
		if i == 1000 {
			t.Fatal("the refused handshake was not counted within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Each call above counted once; a refused handshake may count again
	// when the client reconnects.
	for _, tc := range []struct {
		metric  string
		labels  []string
		atLeast bool
	}{
		{"tinywindow_service_requests_total", []string{`client="trader"`, `rpc_method="tinywindow.signer.v1.Signer/PublicKey"`, `rpc_grpc_status_code="OK"`}, false},
		{"tinywindow_service_requests_total", []string{`client="trader"`, `rpc_method="tinywindow.signer.v1.Signer/Sign"`, `rpc_grpc_status_code="OK"`}, false},
		{"tinywindow_service_requests_total", []string{`client="unknown"`, `rpc_method="tinywindow.signer.v1.Signer/Sign"`, `rpc_grpc_status_code="PermissionDenied"`}, false},
		{"tinywindow_service_requests_total", []string{`client="unknown"`, `rpc_method="grpc.reflection.v1.ServerReflection/ServerReflectionInfo"`, `rpc_grpc_status_code="OK"`}, false},
		{"tinywindow_service_requests_total", []string{`client="trader"`, `rpc_method="grpc.health.v1.Health/Check"`, `rpc_grpc_status_code="OK"`}, false},
		{"tinywindow_service_denied_total", []string{`client="unknown"`, `rpc_method="tinywindow.signer.v1.Signer/Sign"`}, false},
		{"tinywindow_service_denied_total", []string{`client="unknown"`, `rpc_method="handshake"`}, true},
	} {
		if got := scrape(t, hs.URL, tc.metric, tc.labels...); got != 1 && !(tc.atLeast && got > 1) {
			t.Errorf("%s%v = %v, want 1", tc.metric, tc.labels, got)
		}
	}
	methodLabel := regexp.MustCompile(`rpc_method="([^"]*)"`)
	body := scrapeText(t, hs.URL)
	n := 0
	for _, m := range methodLabel.FindAllStringSubmatch(body, -1) {
		n++
		if m[1] != "handshake" && !labelForm.MatchString(m[1]) {
			t.Errorf("rpc_method=%q is not a full method name without the leading slash", m[1])
		}
	}
	if n < 7 || strings.Contains(body, `rpc_method="/`) {
		t.Errorf("%d rpc_method labels in:\n%s", n, body)
	}
}
