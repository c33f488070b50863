package remote

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"google.golang.org/grpc"
	_ "google.golang.org/grpc/health" // client-side health checking, for healthCheckConfig
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/provider"
)

// maxAddrs bounds the addresses of one addr attribute.
const maxAddrs = 64

// serviceConfig spreads calls over every address of the service with gRPC's
// round_robin policy, and takes an address out of the rotation while its
// health service does not say SERVING for the Signer service (as a service
// does from the moment it starts shutting down) or while it cannot be
// reached. A service without a health service counts as healthy.
var serviceConfig = `{
	"loadBalancingConfig": [{"round_robin": {}}],
	"healthCheckConfig": {"serviceName": "` + signerpb.Signer_ServiceDesc.ServiceName + `"}
}`

// parseAddrs splits the addr attribute into c.addrs and returns their
// hosts. It is one HOST:PORT, or several separated by commas. It also reads
// dns-server, the DNS server for a single address.
func (c *config) parseAddrs(u *provider.URI) (hosts []string, err error) {
	if strings.Contains(c.addr, "://") {
		return nil, fmt.Errorf("%w: remote URI: addr %q is a URL; write HOST:PORT, or a list HOST:PORT,HOST:PORT (calls are balanced over every address of a name, and over every address of a list)", provider.ErrInvalidConfig, c.addr)
	}
	c.addrs = strings.Split(c.addr, ",")
	if len(c.addrs) > maxAddrs {
		return nil, fmt.Errorf("%w: remote URI: addr has %d addresses, more than %d; put the service behind a DNS name instead", provider.ErrInvalidConfig, len(c.addrs), maxAddrs)
	}
	for i, a := range c.addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" || port == "" {
			return nil, fmt.Errorf("%w: remote URI: addr %q is not HOST:PORT", provider.ErrInvalidConfig, a)
		}
		if slices.Contains(c.addrs[:i], a) {
			return nil, fmt.Errorf("%w: remote URI: addr lists %q twice", provider.ErrInvalidConfig, a)
		}
		hosts = append(hosts, host)
	}
	if v, ok := u.Get("dns-server"); ok {
		if len(c.addrs) > 1 {
			return nil, fmt.Errorf("%w: remote URI: dns-server resolves the one name of addr, but addr lists %d addresses; give one HOST:PORT", provider.ErrInvalidConfig, len(c.addrs))
		}
		if host, port, err := net.SplitHostPort(v); err != nil || host == "" || port == "" {
			return nil, fmt.Errorf("%w: remote URI: dns-server %q is not HOST:PORT", provider.ErrInvalidConfig, v)
		}
		c.dnsServer = v
	}
	return hosts, nil
}

// target returns the gRPC target for c.addrs, and the dial options it
// needs. One address goes to gRPC's DNS resolver (asking c.dnsServer, if
// set), which resolves a name to every address it has and resolves it again
// when a connection is lost.
// Several addresses are a fixed list, each connection checking the
// certificate for the host it dials.
func (c *config) target() (string, []grpc.DialOption) {
	if len(c.addrs) == 1 {
		return "dns://" + c.dnsServer + "/" + c.addrs[0], nil
	}
	r := manual.NewBuilderWithScheme("tinywindow-remote")
	var st resolver.State
	for _, a := range c.addrs {
		host, _, _ := net.SplitHostPort(a)
		st.Endpoints = append(st.Endpoints, resolver.Endpoint{Addresses: []resolver.Address{{Addr: a, ServerName: host}}})
	}
	r.InitialState(st)
	return r.Scheme() + ":///" + c.addr, []grpc.DialOption{grpc.WithResolvers(r)}
}
