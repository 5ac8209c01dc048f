package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// freeAddr returns a loopback address nothing listens on, for a server a
// test starts (often as another process, or again after a restart at the
// same address). The port is free when returned but not held, so it is
// drawn below the kernel's ephemeral range: a port the kernel hands out
// for "port 0" (every httptest server, every outgoing connection of this
// or another suite running beside it) can then never be the one a test is
// about to bind, which once sent a test's requests to another suite's
// server. Within the process no port is returned twice.
func freeAddr(t *testing.T) string {
	t.Helper()
	low := ephemeralLow()
	freePorts.Lock()
	defer freePorts.Unlock()
	for range 200 {
		port := freePortFloor + rand.IntN(low-freePortFloor)
		if freePorts.given[port] {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // taken
		}
		require.NoError(t, ln.Close())
		freePorts.given[port] = true
		return ln.Addr().String()
	}
	t.Fatalf("no free port found in [%d, %d)", freePortFloor, low)
	return ""
}

// freePortFloor is the lowest port freeAddr draws: above the well-known
// and most registered services' ports (PostgreSQL's 5432, NATS's 4222).
const freePortFloor = 20000

var freePorts = struct {
	sync.Mutex
	given map[int]bool
}{given: map[int]bool{}}

// ephemeralLow is the lowest port of the kernel's ephemeral range (Linux's
// default 32768 where the setting cannot be read).
func ephemeralLow() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > freePortFloor+1000 {
				low = n
			}
		}
	}
	return low
}

func TestFreeAddrIsBelowTheEphemeralRangeAndNeverRepeats(t *testing.T) {
	t.Parallel()
	low := ephemeralLow()
	seen := map[string]bool{}
	for range 50 {
		addr := freeAddr(t)
		require.False(t, seen[addr], "freeAddr returned %s twice", addr)
		seen[addr] = true
		_, port, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		n, err := strconv.Atoi(port)
		require.NoError(t, err)
		require.True(t, n >= freePortFloor && n < low, "port %d outside [%d, %d)", n, freePortFloor, low)
		ln, err := net.Listen("tcp", addr)
		require.NoError(t, err, fmt.Sprintf("%s is not free", addr))
		require.NoError(t, ln.Close())
	}
}
