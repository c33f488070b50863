package venue

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/recordfile"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

func TestDeliveryOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Delivery
	}{
		{"not sent", &DeliveryError{Delivery: NotSent, Err: ErrClosed}, NotSent},
		{"wrapped", fmt.Errorf("venue X: %w", &DeliveryError{Delivery: Delivered, Err: ErrProtocol}), Delivered},
		{"unknown", &DeliveryError{Delivery: Unknown, Err: ErrTimeout}, Unknown},
		{"a third-party venue's bare error", errors.New("connection reset by peer"), Unknown},
		{"context error", context.DeadlineExceeded, Unknown},
	}
	for _, tc := range tests {
		if got := DeliveryOf(tc.err); got != tc.want {
			t.Errorf("%s: DeliveryOf = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// errRecorder collects what a Server reports through OnError.
type errRecorder struct {
	mu   sync.Mutex
	errs []error
}

func (r *errRecorder) record(_ net.Addr, err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

func TestServerConnections(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	order := AppendFrame(nil, FrameOrder, signed(t, key, "c-1", time.Now()))
	tests := []struct {
		name  string
		send  []byte
		close bool // the client closes its side after sending
		acks  int  // ack frames the client receives before the server closes
		want  error
	}{
		{"order then clean close", order, true, 1, nil},
		{"connect and close", nil, true, 0, nil},
		{"ack frame", AppendAckFrame(nil, Ack{Status: Accepted, VenueOrderID: 1}, []byte("c-1")), false, 0, ErrProtocol},
		{"signed ack frame", AppendFrame(nil, FrameSignedAck, []byte{1}), false, 0, ErrProtocol},
		{"unknown frame type", AppendFrame(nil, 9, []byte("hello")), false, 0, ErrProtocol},
		{"order then ack frame", append(bytes.Clone(order), AppendFrame(nil, FrameAck, []byte{1})...), false, 1, ErrProtocol},
		{"zero length", []byte{0, 0, 0, 0, 1}, false, 0, ErrProtocol},
		{"cut mid-frame", order[:20], true, 0, ErrTruncatedFrame},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rec errRecorder
			srv := startServer(t, keys)
			srv.OnError = rec.record
			conn, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write(tc.send); err != nil {
				t.Fatal(err)
			}
			if tc.close {
				conn.(*net.TCPConn).CloseWrite()
			}
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			fr := NewFrameReader(conn)
			acks := 0
			for {
				typ, _, err := fr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("after %d acks: %v", acks, err)
				}
				if typ != FrameAck {
					t.Fatalf("frame type %d from the server", typ)
				}
				acks++
			}
			if acks != tc.acks {
				t.Fatalf("%d acks, want %d", acks, tc.acks)
			}
			srv.Close() // waits for the connection's goroutine
			rec.mu.Lock()
			defer rec.mu.Unlock()
			switch {
			case tc.want == nil && len(rec.errs) != 0:
				t.Fatalf("reported %v for a clean disconnect", rec.errs)
			case tc.want != nil && (len(rec.errs) != 1 || !errors.Is(rec.errs[0], tc.want)):
				t.Fatalf("reported %v; want one error matching %v", rec.errs, tc.want)
			}
		})
	}
}

func TestSignedAcks(t *testing.T) {
	orderKey, venueKey := hmac.NewFromSeed(42), hmac.NewFromSeed(9)
	keys, _ := provider.NewKeyring(orderKey)
	srv := startServerOpts(t, keys, ServerOptions{Signer: venueKey})
	c := dialServer(t, srv, TCPOptions{})
	ctx := context.Background()
	env := signed(t, orderKey, "c-1", time.Now())
	id := []byte("c-1")
	ack, err := c.Submit(ctx, env, id)
	if err != nil || ack.Status != Accepted || ack.Signed == nil {
		t.Fatalf("got %+v %v; want a signed accepted ack", ack, err)
	}
	if err := VerifyAck(ctx, venueKey, ack, id, env); err != nil {
		t.Fatal(err)
	}
	sa, err := ParseSignedAck(ack.Signed)
	if err != nil {
		t.Fatal(err)
	}
	msg := append([]byte(AckDomain), sa.Signed...)
	if err := venueKey.Verify(ctx, msg, sa.Signature); err != nil {
		t.Fatalf("the signature is not over AckDomain ‖ the signed bytes: %v", err)
	}
	dup, err := c.Submit(ctx, env, id)
	if err != nil || dup.Reason != ReasonDuplicate || VerifyAck(ctx, venueKey, dup, id, env) != nil {
		t.Fatalf("duplicate: %+v %v", dup, err)
	}
	// The signature binds the ack to its fields, the client order ID, the
	// order and the venue's key.
	other := signed(t, orderKey, "c-1", time.Now().Add(time.Millisecond))
	changed := func(edit func(*Ack)) Ack { a := ack; edit(&a); return a }
	tests := []struct {
		name     string
		verifier provider.Verifier
		ack      Ack
		id, env  []byte
		bad      error
	}{
		{"another status", venueKey, changed(func(a *Ack) { a.Status, a.VenueOrderID = Rejected, 0 }), id, env, ErrProtocol},
		{"another venue order ID", venueKey, changed(func(a *Ack) { a.VenueOrderID++ }), id, env, ErrProtocol},
		{"another venue time", venueKey, changed(func(a *Ack) { a.VenueTime++ }), id, env, ErrProtocol},
		{"another client order ID", venueKey, ack, []byte("c-2"), env, ErrProtocol},
		{"another order with the same ID", venueKey, ack, id, other, ErrProtocol},
		{"another venue key", hmac.NewFromSeed(10), ack, id, env, ErrProtocol},
		{"the orders' key", orderKey, ack, id, env, ErrProtocol},
		{"unsigned", venueKey, changed(func(a *Ack) { a.Signed = nil }), id, env, ErrProtocol},
	}
	for _, tc := range tests {
		if err := VerifyAck(ctx, tc.verifier, tc.ack, tc.id, tc.env); !errors.Is(err, tc.bad) {
			t.Errorf("%s: %v; want %v", tc.name, err, tc.bad)
		}
	}
	for i := range ack.Signed {
		a := ack
		a.Signed = bytes.Clone(ack.Signed)
		a.Signed[i] ^= 0x01
		if err := VerifyAck(ctx, venueKey, a, id, env); !errors.Is(err, ErrProtocol) {
			t.Fatalf("flip at byte %d: %v", i, err)
		}
	}
	for i := range ack.Signed {
		if _, err := ParseSignedAck(ack.Signed[:i]); !errors.Is(err, ErrProtocol) {
			t.Fatalf("cut at %d: %v", i, err)
		}
	}
	if _, err := ParseSignedAck(append(bytes.Clone(ack.Signed), 0)); !errors.Is(err, ErrProtocol) {
		t.Fatalf("trailing byte: %v", err)
	}

	// A server without a signer sends plain acks.
	plain := startServer(t, keys)
	pc, err := DialTCP(ctx, plain.Addr().String(), TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if ack, err := pc.Submit(ctx, env, id); err != nil || ack.Signed != nil {
		t.Fatalf("unsigned venue: %+v %v", ack, err)
	}
}

// submitAll sends each envelope and returns the acks.
func submitAll(t *testing.T, addr string, envs [][]byte, ids []string) []Ack {
	t.Helper()
	c, err := DialTCP(context.Background(), addr, TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	acks := make([]Ack, len(envs))
	for i := range envs {
		if acks[i], err = c.Submit(context.Background(), envs[i], []byte(ids[i])); err != nil {
			t.Fatalf("%s: %v", ids[i], err)
		}
	}
	return acks
}

func TestStateSurvivesRestart(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	dir := filepath.Join(t.TempDir(), "state")
	var envs, fresh [][]byte
	var ids []string
	for i := range 50 {
		id := fmt.Sprintf("c-%d", i)
		ids = append(ids, id)
		envs = append(envs, signed(t, key, id, time.Now()))
	}
	srv := startServerOpts(t, keys, ServerOptions{StateDir: dir})
	first := submitAll(t, srv.Addr().String(), envs, ids)
	var maxID uint64
	for i, a := range first {
		if a.Status != Accepted {
			t.Fatalf("%s: %+v", ids[i], a)
		}
		maxID = max(maxID, a.VenueOrderID)
	}
	srv.Close()
	// A second server may not share the directory while the first holds it.
	holder := startServerOpts(t, keys, ServerOptions{StateDir: dir})
	sim, _ := NewSim(SimOptions{Keys: keys})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	if _, err := NewServer(ln, sim, ServerOptions{StateDir: dir}); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), fmt.Sprintf("held by process %d", os.Getpid())) {
		t.Fatalf("second server on a held state: %v; want it refused, naming the holder", err)
	}
	ln.Close()
	holder.Close()

	for _, id := range ids {
		fresh = append(fresh, signed(t, key, id, time.Now().Add(time.Millisecond)))
	}
	srv = startServerOpts(t, keys, ServerOptions{StateDir: dir})
	for _, replay := range [][][]byte{envs, fresh} { // the same bytes, and new orders with the same IDs
		for i, a := range submitAll(t, srv.Addr().String(), replay, ids) {
			if a.Reason != ReasonDuplicate || a.VenueOrderID != first[i].VenueOrderID {
				t.Fatalf("%s after restart: %+v; want a duplicate of venue order %d", ids[i], a, first[i].VenueOrderID)
			}
		}
	}
	next := submitAll(t, srv.Addr().String(), [][]byte{signed(t, key, "new", time.Now())}, []string{"new"})[0]
	if next.Status != Accepted || next.VenueOrderID <= maxID {
		t.Fatalf("new order after restart: %+v; want a venue order ID above %d", next, maxID)
	}
	// Without the state the replay is accepted: the test can fail.
	bare := startServer(t, keys)
	if a := submitAll(t, bare.Addr().String(), envs[:1], ids[:1])[0]; a.Status != Accepted {
		t.Fatalf("a venue without state rejected %+v", a)
	}
}

func TestStateDamage(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	fill := func(t *testing.T, dir string, n int, opts SimOptions) []Ack {
		opts.Keys = keys
		sim, _ := NewSim(opts)
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		srv, err := NewServer(ln, sim, ServerOptions{StateDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve()
		defer srv.Close()
		var envs [][]byte
		var ids []string
		for i := range n {
			ids = append(ids, fmt.Sprintf("d-%d", i))
			envs = append(envs, signed(t, key, ids[i], time.Now()))
		}
		return submitAll(t, srv.Addr().String(), envs, ids)
	}
	open := func(dir string) (int, error) {
		sim, _ := NewSim(SimOptions{Keys: keys})
		l, err := sim.attachState(dir)
		if err != nil {
			return 0, err
		}
		defer l.close()
		return sim.dedup.Len(), nil
	}
	segments := func(dir string) []string {
		m, _ := filepath.Glob(filepath.Join(dir, "*"+stateExt))
		return m
	}

	t.Run("torn tail", func(t *testing.T) {
		dir := t.TempDir()
		fill(t, dir, 10, SimOptions{})
		seg := segments(dir)[0]
		b, _ := os.ReadFile(seg)
		whole := len(b)
		// The tail of a write that never completed: part of a record.
		for _, tail := range [][]byte{b[:1], b[:7], b[:23]} {
			os.WriteFile(seg, append(bytes.Clone(b), tail...), 0o600)
			if n, err := open(dir); err != nil || n != 10 {
				t.Fatalf("tail %x: %d IDs, %v; want 10", tail, n, err)
			}
			srv := startServerOpts(t, keys, ServerOptions{StateDir: dir})
			want := Recovery{Records: 10}
			srv.Close()
			if got := srv.Recovery(); got != want {
				t.Fatalf("reopened after the cut: %+v; want %+v", got, want)
			}
			os.WriteFile(seg, append(bytes.Clone(b), tail...), 0o600)
			srv = startServerOpts(t, keys, ServerOptions{StateDir: dir})
			srv.Close()
			want = Recovery{Records: 10, TruncatedRecords: 1, TruncatedBytes: int64(len(tail)), TruncatedAt: int64(whole)}
			if got := srv.Recovery(); got != want {
				t.Fatalf("tail %x: recovery %+v; want %+v", tail, got, want)
			}
			if st, _ := os.Stat(seg); st.Size() != int64(whole) {
				t.Fatalf("torn tail not cut: %d bytes, want %d", st.Size(), whole)
			}
		}
	})
	t.Run("corrupt older segment", func(t *testing.T) {
		dir := t.TempDir()
		fill(t, dir, 8, SimOptions{DedupCapacity: 8}) // a segment holds capacity/4 = 2 records
		segs := segments(dir)
		if len(segs) < 2 {
			t.Fatalf("%d segments; want several", len(segs))
		}
		b, _ := os.ReadFile(segs[0])
		b[3] ^= 1
		os.WriteFile(segs[0], b, 0o600)
		if _, err := open(dir); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "corrupt") {
			t.Fatalf("got %v; want the corruption reported", err)
		}
	})
	t.Run("old segments removed", func(t *testing.T) {
		dir := t.TempDir()
		fill(t, dir, 40, SimOptions{DedupCapacity: 8})
		// At most capacity records before the last segment, plus the one
		// that rotation has just closed.
		if n := len(segments(dir)); n > 8/2+2 {
			t.Fatalf("%d segments kept for a capacity of 8", n)
		}
		if n, err := open(dir); err != nil || n != 8 {
			t.Fatalf("%d IDs, %v; want the capacity, 8", n, err)
		}
	})
	t.Run("stranger in the directory", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "notes"+stateExt), nil, 0o600)
		if _, err := open(dir); !errors.Is(err, ErrState) {
			t.Fatalf("got %v", err)
		}
	})
}

// TestStateCorruptionRefused damages the last segment of a state holding
// five acknowledged orders in ways no crash can: the venue refuses to start
// on it (so it never accepts those orders again) and leaves every byte in
// place. Before the shared record file, each of these was cut off as a
// torn tail and the orders were accepted a second time.
func TestStateCorruptionRefused(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	const n = 5
	recLen := 1 + len("e-0") + recordTrailer // every record here is this long
	tests := []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"one bit of the second record", func(b []byte) []byte { b[recLen+5] ^= 0x10; return b }},
		{"first byte zeroed", func(b []byte) []byte { b[0] = 0; return b }},
		{"last record's CRC", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }},
		{"zeroes after the records", func(b []byte) []byte { return append(b, make([]byte, 40)...) }},
		{"last record's length grown", func(b []byte) []byte { b[len(b)-recLen] += 4; return b }},
		{"record cut short in the middle", func(b []byte) []byte { return slices.Delete(b, 2*recLen+3, 2*recLen+9) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			srv := startServerOpts(t, keys, ServerOptions{StateDir: dir})
			var envs [][]byte
			var ids []string
			for i := range n {
				ids = append(ids, fmt.Sprintf("e-%d", i))
				envs = append(envs, signed(t, key, ids[i], time.Now()))
			}
			for i, a := range submitAll(t, srv.Addr().String(), envs, ids) {
				if a.Status != Accepted {
					t.Fatalf("%s: %+v", ids[i], a)
				}
			}
			srv.Close()
			segs, _ := filepath.Glob(filepath.Join(dir, "*"+stateExt))
			last := segs[len(segs)-1]
			b, _ := os.ReadFile(last)
			if len(b) != n*recLen {
				t.Fatalf("segment of %d bytes; want %d", len(b), n*recLen)
			}
			damaged := tt.damage(bytes.Clone(b))
			os.WriteFile(last, damaged, 0o600)
			sim2, _ := NewSim(SimOptions{Keys: keys})
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			defer ln.Close()
			_, err := NewServer(ln, sim2, ServerOptions{StateDir: dir})
			if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "corrupt") {
				t.Fatalf("NewServer on a damaged state: %v; want it refused as corrupt", err)
			}
			if after, _ := os.ReadFile(last); !bytes.Equal(after, damaged) {
				t.Fatalf("the damaged segment was changed from %d to %d bytes", len(damaged), len(after))
			}
		})
	}
}

// TestStateSyncsDirectory: every segment the state creates is in its
// directory when the directory is next synced, and the last sync sees the
// directory as it is left (removed segments gone). The hook shows the sync
// calls and what the directory held at each; that the disk kept it is
// fsync's promise.
func TestStateSyncsDirectory(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	dir := filepath.Join(t.TempDir(), "state")
	var mu sync.Mutex
	seen := map[string]bool{}
	var last []string
	defer recordfile.SetSyncDirHook(func(d string) {
		if d != dir {
			return
		}
		segs, _ := filepath.Glob(filepath.Join(dir, "*"+stateExt))
		mu.Lock()
		defer mu.Unlock()
		for _, s := range segs {
			seen[filepath.Base(s)] = true
		}
		last = segs
	})()
	sim, _ := NewSim(SimOptions{Keys: keys, DedupCapacity: 8}) // a segment holds 2 records
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv, err := NewServer(ln, sim, ServerOptions{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	var envs [][]byte
	var ids []string
	for i := range 20 {
		ids = append(ids, fmt.Sprintf("y-%d", i))
		envs = append(envs, signed(t, key, ids[i], time.Now()))
	}
	submitAll(t, srv.Addr().String(), envs, ids)
	srv.Close()
	final, _ := filepath.Glob(filepath.Join(dir, "*"+stateExt))
	mu.Lock()
	defer mu.Unlock()
	lastSeq, _ := strconv.ParseUint(strings.TrimSuffix(filepath.Base(final[len(final)-1]), stateExt), 10, 64)
	if lastSeq < 5 {
		t.Fatalf("%d segments created; want several rotations", lastSeq)
	}
	for seq := uint64(1); seq <= lastSeq; seq++ {
		if name := fmt.Sprintf("%020d%s", seq, stateExt); !seen[name] {
			t.Errorf("segment %s was never in the directory at a sync", name)
		}
	}
	if !slices.Equal(last, final) {
		t.Errorf("the last sync saw %q; the directory holds %q", last, final)
	}
}

// TestStatePermissions: a state directory or segment that group or others
// can write is refused, and the error says chmod; one others can only read
// is accepted (the rule is about who can change the window).
func TestStatePermissions(t *testing.T) {
	keys, _ := provider.NewKeyring(hmac.NewFromSeed(42))
	tests := []struct {
		name             string
		dirMode, segMode os.FileMode
		ok               bool
	}{
		{"private", 0o700, 0o600, true},
		{"others read", 0o755, 0o644, true},
		{"directory 0777", 0o777, 0o600, false},
		{"directory 0775", 0o775, 0o600, false},
		{"directory 0757", 0o757, 0o600, false},
		{"segment 0666", 0o700, 0o666, false},
		{"segment 0620", 0o700, 0o620, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			startServerOpts(t, keys, ServerOptions{StateDir: dir}).Close()
			segs, _ := filepath.Glob(filepath.Join(dir, "*"+stateExt))
			os.Chmod(segs[0], tt.segMode)
			os.Chmod(dir, tt.dirMode)
			sim2, _ := NewSim(SimOptions{Keys: keys})
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			defer ln.Close()
			srv, err := NewServer(ln, sim2, ServerOptions{StateDir: dir})
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				srv.Close()
				return
			}
			if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "chmod go-w") {
				t.Fatalf("got %v; want the state refused, saying chmod", err)
			}
		})
	}
}

// The venue process of TestStateSurvivesSIGKILL: it serves with the state
// in $TW_VENUE_STATE_DIR and prints its address.
func TestVenueHelperProcess(t *testing.T) {
	dir := os.Getenv("TW_VENUE_STATE_DIR")
	if dir == "" {
		t.Skip("the venue process of TestStateSurvivesSIGKILL")
	}
	keys, _ := provider.NewKeyring(hmac.NewFromSeed(42))
	sim, _ := NewSim(SimOptions{Keys: keys, MaxSkew: time.Hour, DedupWindow: 3 * time.Hour})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ln, sim, ServerOptions{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	srv.Serve()
}

func startVenueProcess(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestVenueHelperProcess$")
	cmd.Env = append(os.Environ(), "TW_VENUE_STATE_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			go io.Copy(io.Discard, out)
			return cmd, addr
		}
	}
	t.Fatalf("the venue process printed no address: %v", sc.Err())
	return nil, ""
}

// TestStateSurvivesSIGKILL kills a venue process while orders are in flight
// and restarts it on its state: every order it had acknowledged is then a
// duplicate, with the venue order ID it was acknowledged with.
func TestStateSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	key := hmac.NewFromSeed(42)
	dir := t.TempDir()
	cmd, addr := startVenueProcess(t, dir)
	c, err := DialTCP(context.Background(), addr, TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type sent struct {
		env     []byte
		venueID uint64
	}
	var mu sync.Mutex
	acked := map[string]sent{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				id := fmt.Sprintf("k%d-%d", g, i)
				env := signed(t, key, id, time.Now())
				// A Submit made after the venue died waits for a reconnection
				// that never comes (as documented), so each has a deadline.
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				ack, err := c.Submit(ctx, env, []byte(id))
				cancel()
				if err != nil {
					return // the venue died
				}
				if ack.Status != Accepted {
					t.Errorf("%s: %+v", id, ack)
					return
				}
				mu.Lock()
				acked[id] = sent{env, ack.VenueOrderID}
				n := len(acked)
				mu.Unlock()
				if n == 400 {
					cmd.Process.Signal(syscall.SIGKILL)
				}
			}
		}()
	}
	wg.Wait()
	c.Close()
	cmd.Wait()
	if len(acked) < 400 {
		t.Fatalf("only %d orders acknowledged", len(acked))
	}

	_, addr = startVenueProcess(t, dir)
	c, err = DialTCP(context.Background(), addr, TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for id, s := range acked {
		ack, err := c.Submit(context.Background(), s.env, []byte(id))
		if err != nil || ack.Reason != ReasonDuplicate || ack.VenueOrderID != s.venueID {
			t.Fatalf("%s, acknowledged as venue order %d before the crash: %+v %v", id, s.venueID, ack, err)
		}
	}
}

func TestStateWriteFailureWithholdsAcks(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	dir := filepath.Join(t.TempDir(), "state")
	srv := startServerOpts(t, keys, ServerOptions{StateDir: dir})
	var rec errRecorder
	srv.OnError = rec.record
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("state directory: %v %v; want mode 0700", st.Mode(), err)
	}
	c := dialServer(t, srv, TCPOptions{MinBackoff: time.Millisecond})
	if _, err := c.Submit(context.Background(), signed(t, key, "ok", time.Now()), []byte("ok")); err != nil {
		t.Fatal(err)
	}
	srv.state.syncMu.Lock()
	srv.state.f.Close() // the next write fails, as on a failing disk
	srv.state.syncMu.Unlock()
	for _, id := range []string{"a", "b"} { // and every later one: the failure sticks
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.Submit(ctx, signed(t, key, id, time.Now()), []byte(id))
		cancel()
		if DeliveryOf(err) != Unknown || !errors.Is(err, ErrUnreachable) {
			t.Fatalf("%s: %v; want the connection closed without an ack (delivery unknown)", id, err)
		}
	}
	srv.Close()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.errs) == 0 || !errors.Is(rec.errs[0], ErrState) {
		t.Fatalf("reported %v; want the state's failure", rec.errs)
	}
}

// FuzzState opens a state whose only segment holds arbitrary bytes: either
// it refuses them as corrupt and leaves them as they were, or it loads the
// records, cutting no more than a torn tail (an incomplete last record),
// and a state written after that reopens with every record it holds.
func FuzzState(f *testing.F) {
	rec := func(id string, venueID uint64) []byte {
		l := &dedupLog{pending: nil}
		l.append([]byte(id), venueID, 1)
		return l.pending
	}
	f.Add(append(rec("c-1", 1), rec("c-2", 2)...))
	f.Add(append(rec("c-1", 1), 0))
	f.Add([]byte{36})
	f.Fuzz(func(t *testing.T, seg []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, fmt.Sprintf("%020d%s", 1, stateExt))
		if err := os.WriteFile(path, seg, 0o600); err != nil {
			t.Fatal(err)
		}
		var n int
		l, err := openDedupLog(dir, int64(time.Hour), 1<<10, func(r stateRecord) {
			if len(r.id) == 0 || len(r.id) > 36 {
				t.Fatalf("record with a %d-byte ID", len(r.id))
			}
			n++
		})
		if err != nil {
			if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "corrupt") {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(path); !bytes.Equal(b, seg) {
				t.Fatal("a refused segment was changed")
			}
			return
		}
		if b, _ := os.ReadFile(path); !bytes.Equal(b, seg[:len(b)]) || len(seg)-len(b) > stateFormat.MaxRecord {
			t.Fatalf("opening cut %d bytes off %d; want at most one incomplete record", len(seg)-len(b), len(seg))
		}
		l.append([]byte("new"), 7, 2)
		if err := l.sync(); err != nil {
			t.Fatal(err)
		}
		l.close()
		m := 0
		l, err = openDedupLog(dir, int64(time.Hour), 1<<10, func(stateRecord) { m++ })
		if err != nil {
			t.Fatal(err)
		}
		l.close()
		if m != n+1 {
			t.Fatalf("reopened with %d records; want %d", m, n+1)
		}
	})
}
