// Command loopecho is the raw baseline of the two-process TCP benchmark
// (BenchmarkTwoProcess of cmd/tinywindow builds it): a loopback echo that answers
// each frame of --in bytes with --out bytes, and a client that times each
// round trip, one frame in flight, as tinywindow demo times each order.
//
//	loopecho serve --listen 127.0.0.1:0 [--in 200] [--out 33]
//	loopecho send --addr HOST:PORT --frames N [--in 200] [--out 33]
//
// serve prints "listening on HOST:PORT" and answers until killed; send
// prints one JSON object with the round trips' p50_ns and p99_ns.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/tinywindow/tinywindow/internal/latency"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loopecho serve|send [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "HOST:PORT to listen on (serve)")
	addr := fs.String("addr", "", "HOST:PORT of the echo (send)")
	frames := fs.Int("frames", 20000, "round trips to time (send)")
	in := fs.Int("in", 200, "bytes of each frame sent")
	out := fs.Int("out", 33, "bytes of each answer")
	fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(*listen, *in, *out)
	case "send":
		err = send(*addr, *frames, *in, *out)
	default:
		err = fmt.Errorf("unknown command %q; want serve or send", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loopecho:", err)
		os.Exit(1)
	}
}

// serve answers every in bytes read with out bytes, on each connection.
func serve(listen string, in, out int) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			rb, wb := make([]byte, in), make([]byte, out)
			for {
				if _, err := io.ReadFull(c, rb); err != nil {
					return
				}
				if _, err := c.Write(wb); err != nil {
					return
				}
			}
		}()
	}
}

// send times frames round trips to the echo at addr, one at a time, and
// prints their percentiles.
func send(addr string, frames, in, out int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	wb, rb := make([]byte, in), make([]byte, out)
	hist := latency.New(frames)
	for range frames {
		t0 := time.Now()
		if _, err := c.Write(wb); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, rb); err != nil {
			return err
		}
		hist.RecordValue(time.Since(t0).Nanoseconds())
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]int64{
		"p50_ns": hist.ValueAtQuantile(50), "p99_ns": hist.ValueAtQuantile(99)})
}
