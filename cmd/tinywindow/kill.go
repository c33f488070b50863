package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/providers/remote"
)

func init() {
	register(command{name: "kill", summary: "stop a signing service signing orders of a scope (all, account=A, symbol=S)", run: runKill})
	register(command{name: "resume", summary: "approve lifting a signing service's kill; the second identity's approval lifts it", run: runResume})
}

// killFlags are the flags of kill and resume.
type killFlags struct {
	service, scope, reason *string
}

func addKillFlags(fs interface {
	String(name, value, usage string) *string
}) killFlags {
	return killFlags{
		service: fs.String("service", "", "the signing service, as a remote: URI with this client's mutual TLS material\n(remote:addr=HOST:PORT?ca-source=…&cert-source=…&key-source=…; key= is not needed)"),
		scope:   fs.String("scope", "", "all, account=ACCOUNT or symbol=SYMBOL"),
		reason:  fs.String("reason", "", "why, for the service's audit log"),
	}
}

// dial checks the flags and connects to the service.
func (f killFlags) dial(ctx context.Context) (*remote.Conn, error) {
	switch {
	case *f.service == "":
		return nil, fmt.Errorf("--service is empty; name the signing service as a remote: URI")
	case !strings.HasPrefix(*f.service, "remote:"):
		return nil, fmt.Errorf("--service %q is not a remote: URI", *f.service)
	case *f.scope == "":
		return nil, fmt.Errorf("--scope is empty; give all, account=ACCOUNT or symbol=SYMBOL")
	case *f.reason == "":
		return nil, fmt.Errorf("--reason is empty; say why, for the audit log")
	}
	return remote.Dial(ctx, *f.service)
}

// statusText is the message of a gRPC error, with its code.
func statusText(err error) string {
	st := status.Convert(err)
	return fmt.Sprintf("%s (%v)", st.Message(), st.Code())
}

func recordedText(recorded bool) string {
	if recorded {
		return "recorded in the service's audit log and covered by a signed checkpoint"
	}
	return "NOT recorded: the service has no audit log"
}

func runKill(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "kill", "--service URI --scope all|account=A|symbol=S --reason TEXT")
	f := addKillFlags(fs)
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	c, err := f.dial(ctx)
	if err != nil {
		return e.errorf("kill: %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, c.Timeout())
	defer cancel()
	r, err := c.Kill(ctx, &signerpb.KillRequest{Scope: *f.scope, Reason: *f.reason})
	if err != nil {
		return e.errorf("kill %s: %s", *f.scope, statusText(err))
	}
	fmt.Fprintf(e.stdout, "kill %d (%s) in force by %s at %s: no order in scope is signed until two identities resume it\n"+
		"%d orders were in flight; it took %v to take effect; %s\n",
		r.GetKillId(), r.GetScope(), r.GetIdentity(), time.Unix(0, r.GetTimeUnixNano()).UTC().Format(time.RFC3339Nano),
		r.GetInFlight(), time.Duration(r.GetTookNanos()), recordedText(r.GetRecorded()))
	return exitOK
}

func runResume(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "resume", "--service URI --scope all|account=A|symbol=S --reason TEXT")
	f := addKillFlags(fs)
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	c, err := f.dial(ctx)
	if err != nil {
		return e.errorf("resume: %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, c.Timeout())
	defer cancel()
	r, err := c.Resume(ctx, &signerpb.ResumeRequest{Scope: *f.scope, Reason: *f.reason})
	if err != nil {
		return e.errorf("resume %s: %s", *f.scope, statusText(err))
	}
	if r.GetLifted() {
		fmt.Fprintf(e.stdout, "kill %d (%s) lifted, approved by %s; %s\n", r.GetKillId(), *f.scope, strings.Join(r.GetApprovers(), " and "), recordedText(r.GetRecorded()))
	} else {
		fmt.Fprintf(e.stdout, "resume of kill %d (%s) approved by %s; the kill stays in force until a second, different identity resumes it; %s\n",
			r.GetKillId(), *f.scope, strings.Join(r.GetApprovers(), " and "), recordedText(r.GetRecorded()))
	}
	return exitOK
}
