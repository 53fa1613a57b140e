package devstack

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
)

// FreeAddress answers a 127.0.0.1 address with a TCP port nobody listens on right now.
func FreeAddress() string { return freeAddress("tcp") }

// FreeUDPAddress answers a 127.0.0.1 address with a UDP port nobody reads right now.
func FreeUDPAddress() string { return freeAddress("udp") }

// freeAddress answers a port below the kernel's ephemeral range when it can: a port of
// that range that a part gives up (a worker restarted on its metrics address, in
// tests/cluster) may be taken meanwhile as the source port of any outgoing connection,
// and the part failed to start again with "address already in use". A port below it is
// only ever taken by a listener.
func freeAddress(network string) string {
	if low, high, ok := portsBelowEphemeral(); ok {
		for range 64 {
			port := low + rand.IntN(high-low+1) //nolint:gosec // a port to try, not a secret
			if address, err := bindAndRelease(network, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
				return address
			}
		}
	}
	address, err := bindAndRelease(network, "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	return address
}

// bindAndRelease binds the address on the network ("tcp" or "udp"), lets it go, and
// answers the address it bound: only its port was wanted.
func bindAndRelease(network, address string) (string, error) {
	if network == "udp" {
		c, err := net.ListenPacket(network, address)
		if err != nil {
			return "", err
		}
		defer func() { _ = c.Close() }()
		return c.LocalAddr().String(), nil
	}
	l, err := net.Listen(network, address)
	if err != nil {
		return "", err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}

// lowestChosenPort: ports below are left to well-known services.
const lowestChosenPort = 10000

// portsBelowEphemeral answers the range of ports from lowestChosenPort to just below
// the kernel's ephemeral ports (Linux's ip_local_port_range).
func portsBelowEphemeral() (low, high int, ok bool) {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0, false
	}
	var first, last int
	if _, err := fmt.Sscan(string(data), &first, &last); err != nil || first-1 < lowestChosenPort+1000 {
		return 0, 0, false
	}
	return lowestChosenPort, first - 1, true
}
