// nomfl_server.go - a TLS 1.2 server that ignores the client's
// max_fragment_length (Go's crypto/tls does not implement RFC 6066) and
// sends full 16 KB records: the peer that tells whether a client which
// asked for small records still takes full-size ones.
//
// Usage: go run nomfl_server.go CERT KEY [BYTES]
// Listens on 127.0.0.1 on a free port and prints "PORT n" on stdout.  For
// each connection it reads BYTES (default 16384) bytes, then writes BYTES
// bytes (byte i = i % 251) in one write, i.e. 16 KB records, and keeps
// the connection open until the peer closes it.  Exits when stdin closes.
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
)

func serve(c net.Conn, n int) {
	defer c.Close()
	buf := make([]byte, n)
	if _, err := io.ReadFull(c, buf); err != nil {
		return
	}
	for i := range buf {
		if buf[i] != byte(i%251) {
			return // not what the client was to send: no answer
		}
	}
	if _, err := c.Write(buf); err != nil {
		return
	}
	io.Copy(io.Discard, c)
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: nomfl_server CERT KEY [BYTES]")
		os.Exit(2)
	}
	n := 16384
	if len(os.Args) > 3 {
		v, err := strconv.Atoi(os.Args[3])
		if err != nil || v <= 0 {
			fmt.Fprintln(os.Stderr, "nomfl_server: bad BYTES")
			os.Exit(2)
		}
		n = v
	}
	cert, err := tls.LoadX509KeyPair(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "nomfl_server:", err)
		os.Exit(1)
	}
	conf := &tls.Config{
		Certificates:                []tls.Certificate{cert},
		MinVersion:                  tls.VersionTLS12,
		MaxVersion:                  tls.VersionTLS12,
		DynamicRecordSizingDisabled: true,
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", conf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nomfl_server:", err)
		os.Exit(1)
	}
	fmt.Printf("PORT %d\n", l.Addr().(*net.TCPAddr).Port)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go serve(c, n)
	}
}
