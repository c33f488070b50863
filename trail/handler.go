package trail

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/transparency-dev/tessera/api/layout"
)

// Handler returns the trail's HTTP interface:
//
//	POST /add-checkpoint        an adapter's checkpoint ([Server.AddCheckpoint]):
//	                            200 "index I\n"; 409 text/x.tlog.size "S\n";
//	                            403 unknown origin or bad signature; 422 does not
//	                            extend the accepted one; 400 malformed; 413 a body
//	                            over MaxAddCheckpointSize (not read)
//	GET /checkpoint             the trail's latest checkpoint
//	GET /tile/L/N[.p/W]         its hash tiles, C2SP tlog-tiles
//	GET /tile/entries/N[.p/W]   its entry bundles
//	GET /origin/ORIGIN          "index I\n" and the last accepted checkpoint of
//	                            ORIGIN (url.PathEscape'd); 404 if none
//	GET /evidence/ORIGIN        the evidence kept for ORIGIN, a JSON array
//
// The log is read through Tessera's LogReader, never from the storage's
// files: nothing but these resources is served.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", s.serveAddCheckpoint)
	mux.HandleFunc("GET /checkpoint", s.serveCheckpoint)
	mux.HandleFunc("GET /tile/{path...}", s.serveTile)
	mux.HandleFunc("GET /origin/{origin...}", s.serveOrigin)
	mux.HandleFunc("GET /evidence/{origin...}", s.serveEvidence)
	return mux
}

func (s *Server) serveAddCheckpoint(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > MaxAddCheckpointSize {
		http.Error(w, fmt.Sprintf("body of %d bytes, more than %d", r.ContentLength, MaxAddCheckpointSize), http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxAddCheckpointSize))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, fmt.Sprintf("body of more than %d bytes", MaxAddCheckpointSize), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	index, err := s.AddCheckpoint(r.Context(), body)
	var conflict *ConflictError
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "index %d\n", index)
	case errors.As(err, &conflict):
		w.Header().Set("Content-Type", "text/x.tlog.size")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprintf(w, "%d\n", conflict.Size)
	case errors.Is(err, ErrMalformed):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, ErrUnknownOrigin), errors.Is(err, ErrBadSignature):
		http.Error(w, err.Error(), http.StatusForbidden)
	case errors.Is(err, ErrInconsistent):
		// Only the origin's key signs what gets here: worth an operator's
		// eye, and no flood.
		slog.WarnContext(r.Context(), "trail: refused a checkpoint that does not extend the accepted one; the pair is kept as evidence", "err", err)
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
	default:
		slog.ErrorContext(r.Context(), "trail: add-checkpoint", "err", err)
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	}
}

func (s *Server) serveCheckpoint(w http.ResponseWriter, r *http.Request) {
	b, err := s.reader.ReadCheckpoint(r.Context())
	if s.readError(w, r, err) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}

// serveTile serves /tile/L/N[.p/W] and /tile/entries/N[.p/W]. A partial
// tile or bundle is the first W hashes or entries of whatever Tessera's
// reader returns for it: the partial it wrote, or the full one that
// replaced it (the reader falls back to it), whose first W are the
// partial's by construction.
func (s *Server) serveTile(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("path")
	level, rest, _ := strings.Cut(p, "/")
	var (
		b   []byte
		err error
	)
	if level == "entries" {
		var i uint64
		var wd uint8
		if i, wd, err = layout.ParseTileIndexPartial(rest); err != nil || layout.EntriesPath(i, wd) != "tile/"+p {
			http.NotFound(w, r)
			return
		}
		b, err = s.reader.ReadEntryBundle(r.Context(), i, wd)
		if err == nil && wd > 0 {
			b, err = bundlePrefix(b, int(wd))
		}
	} else {
		var l, i uint64
		var wd uint8
		if l, i, wd, err = layout.ParseTileLevelIndexPartial(level, rest); err != nil || layout.TilePath(l, i, wd) != "tile/"+p {
			http.NotFound(w, r)
			return
		}
		b, err = s.reader.ReadTile(r.Context(), l, i, wd)
		if err == nil && wd > 0 {
			if len(b) < int(wd)*32 {
				err = fmt.Errorf("tile %s: %d bytes, fewer than %d hashes", p, len(b), wd)
			} else {
				b = b[:int(wd)*32]
			}
		}
	}
	if s.readError(w, r, err) {
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if !strings.Contains(p, ".p/") {
		w.Header().Set("Cache-Control", "max-age=31536000, immutable")
	}
	w.Write(b)
}

// bundlePrefix returns the first n entries of an entry bundle (each a
// big-endian uint16 length and that many bytes).
func bundlePrefix(b []byte, n int) ([]byte, error) {
	off := 0
	for range n {
		if len(b)-off < 2 {
			return nil, errors.New("entry bundle cut short")
		}
		off += 2 + int(binary.BigEndian.Uint16(b[off:]))
		if off > len(b) {
			return nil, errors.New("entry bundle cut short")
		}
	}
	return b[:off], nil
}

func (s *Server) serveOrigin(w http.ResponseWriter, r *http.Request) {
	origin := r.PathValue("origin")
	if _, ok := s.logs[origin]; !ok {
		http.Error(w, fmt.Sprintf("origin %q is not registered", origin), http.StatusNotFound)
		return
	}
	a, ok, err := s.origins.Latest(r.Context(), origin)
	if s.readError(w, r, err) {
		return
	}
	if !ok {
		http.Error(w, fmt.Sprintf("no checkpoint accepted for origin %q", origin), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	io.WriteString(w, "index "+strconv.FormatUint(a.Index, 10)+"\n")
	w.Write(a.Note)
}

func (s *Server) serveEvidence(w http.ResponseWriter, r *http.Request) {
	origin := r.PathValue("origin")
	if _, ok := s.logs[origin]; !ok {
		http.Error(w, fmt.Sprintf("origin %q is not registered", origin), http.StatusNotFound)
		return
	}
	ev, err := s.origins.Evidence(r.Context(), origin)
	if s.readError(w, r, err) {
		return
	}
	if ev == nil {
		ev = []Evidence{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	json.NewEncoder(w).Encode(ev)
}

// readError answers 404 for a resource that does not exist and 503 for
// any other error of the storage, and reports whether err was one.
func (s *Server) readError(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, fs.ErrNotExist):
		http.NotFound(w, r)
	case errors.Is(err, context.Canceled):
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	default:
		slog.ErrorContext(r.Context(), "trail: reading the log", "path", r.URL.Path, "err", err)
		http.Error(w, "reading the trail's storage failed", http.StatusServiceUnavailable)
	}
	return true
}
