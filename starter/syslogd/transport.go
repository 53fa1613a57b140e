package syslogd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/auto"
	"github.com/leodido/go-syslog/v4/octetcounting"
	"github.com/leodido/go-syslog/v4/rfc3164"
)

// headerOptions read RFC 3164 headers as devices write them: an RFC 3339 time
// instead of a BSD one, a zero-padded day, fractions of a second.
var headerOptions = []gosyslog.MachineOption{rfc3164.WithRFC3339(), rfc3164.WithLenientDay(), rfc3164.WithSecondFractions()}

// newMachine reads one syslog message of either RFC, as much of it as it can.
func newMachine() gosyslog.Machine {
	m := auto.NewMachine(auto.WithRFC3164Options(headerOptions...))
	m.WithBestEffort()
	return m
}

// accept serves the connections of a TCP or TLS listener until it is closed, and
// returns once every connection it served has ended.
func (s *Server) accept(ctx context.Context, listener net.Listener, transport string) {
	var served sync.WaitGroup
	defer served.Wait()
	for {
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		conn, err := listener.Accept()
		if err != nil {
			<-s.slots
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.rate.warn("accept "+transport, "syslog listener cannot accept a connection", "transport", transport, "error", err)
			continue
		}
		served.Go(func() {
			defer func() { <-s.slots }()
			s.serve(ctx, conn, transport)
		})
	}
}

// serve reads one connection's messages until it ends: octet-counted frames when its
// first byte is a digit (RFC 6587 3.4.1, RFC 5425), else lines (3.4.2).
func (s *Server) serve(ctx context.Context, conn net.Conn, transport string) {
	if !s.track(conn) {
		return
	}
	defer s.untrack(conn)
	gauge := s.metrics.connections.WithLabelValues(transport)
	gauge.Inc()
	defer gauge.Dec()
	from, err := s.identify(conn, transport)
	if err != nil {
		s.rate.warn("handshake "+addressOf(conn.RemoteAddr()).String(), "syslog TLS handshake failed",
			"address", addressOf(conn.RemoteAddr()).String(), "error", err)
		return
	}
	// A sender no source could take (by address or certificate, whatever hostname
	// it writes) is heard once, counted and logged, and let go: it holds no slot.
	onlyOne := !s.routes.anyFor(from)
	reader := bufio.NewReaderSize(conn, maxMessage+32)
	first, err := reader.Peek(1)
	if err != nil {
		return
	}
	if first[0] >= '1' && first[0] <= '9' {
		s.readFrames(ctx, from, reader, onlyOne, conn)
	} else {
		s.readLines(ctx, from, reader, onlyOne)
	}
}

// identify answers who is at the other end of conn: its address and, over TLS, the
// client certificate the handshake verified.
func (s *Server) identify(conn net.Conn, transport string) (sender, error) {
	from := sender{transport: transport, address: addressOf(conn.RemoteAddr())}
	tlsConn, ok := conn.(*tls.Conn)
	if !ok {
		return from, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		return from, err
	}
	if state := tlsConn.ConnectionState(); len(state.VerifiedChains) > 0 {
		from.certificate = state.VerifiedChains[0][0]
	}
	return from, nil
}

// readFrames reads octet-counted frames with go-syslog's parser, which ends at a frame
// whose count is wrong: the stream cannot be trusted after it, and the connection is
// closed (the sender reconnects).
func (s *Server) readFrames(ctx context.Context, from sender, reader io.Reader, onlyOne bool, conn net.Conn) {
	heard := false
	parser := octetcounting.NewParserAuto(
		gosyslog.WithListener(func(r *gosyslog.Result) {
			if onlyOne && heard {
				return // frames read ahead before the close below
			}
			heard = true
			s.handle(ctx, from, r, true)
			if onlyOne {
				_ = conn.Close() // the parser reads no further
			}
		}),
		gosyslog.WithBestEffort(), gosyslog.WithMaxMessageLength(maxMessage), auto.WithRFC3164MachineOptions(headerOptions...))
	parser.Parse(reader)
}

// readLines reads messages one a line, each at most maxMessage long: a longer one is
// counted and skipped to its end. go-syslog's non-transparent parser is not used
// because it buffers a line without bound and skips one that does not start with '<'
// without a word, where a malformed line must be counted and logged.
func (s *Server) readLines(ctx context.Context, from sender, reader *bufio.Reader, onlyOne bool) {
	machine := newMachine()
	for {
		line, err := reader.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			s.bad(from, s.routes.authenticated(from), badSyslog, fmt.Sprintf("a line longer than %d bytes", maxMessage))
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = reader.ReadSlice('\n')
			}
			if onlyOne {
				return
			}
			continue
		}
		if line = bytes.TrimRight(line, "\r\n\x00"); len(bytes.TrimSpace(line)) > 0 {
			message, parseErr := machine.Parse(line)
			s.handle(ctx, from, &gosyslog.Result{Message: message, Error: parseErr}, true)
			if onlyOne {
				return
			}
		}
		if err != nil {
			return // the sender closed the connection (a last line without LF was read above)
		}
	}
}

// readUDP reads one message a datagram until the listener is closed.
func (s *Server) readUDP(ctx context.Context) {
	machine := newMachine()
	buffer := make([]byte, maxMessage)
	for {
		n, peer, err := s.udp.ReadFrom(buffer)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.rate.warn("read udp", "syslog UDP listener cannot read", "error", err)
			continue
		}
		from := sender{transport: "udp", address: addressOf(peer)}
		datagram := bytes.TrimRight(buffer[:n], "\r\n\x00")
		if len(bytes.TrimSpace(datagram)) == 0 {
			continue
		}
		message, parseErr := machine.Parse(datagram)
		s.handle(ctx, from, &gosyslog.Result{Message: message, Error: parseErr}, false)
	}
}

// track remembers an open connection, so that closing the listener ends it; it
// answers false (and closes conn) once the listener is closing.
func (s *Server) track(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		_ = conn.Close()
		return false
	}
	s.conns[conn] = struct{}{}
	return true
}

func (s *Server) untrack(conn net.Conn) {
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
	_ = conn.Close()
}

func addressOf(addr net.Addr) netip.Addr {
	if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
