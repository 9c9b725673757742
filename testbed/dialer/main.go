// netconform-dial: every probe of one source pod in one process. The netpol suite's prober runs it once per
// source per pass, so a pass of 288 probes costs 9 process starts instead of 288 (busybox wget to netexec's
// /dial, one fork each, was most of a pass's CPU on the 2-core test bed).
//
//	netconform-dial [--timeout=2s] PROTOCOL:HOST:PORT ...    (PROTOCOL: tcp, udp or sctp; HOST may be a name)
//
// Every target is dialled at once, each within its own deadline (name resolution included). One line per
// target, in argument order, in the prober's batch format (exec_prober.py, _MARK):
//
//	@@netconform INDEX RC TEXT
//
// RC is 0 when the target answered, else 1; TEXT follows `agnhost connect` (upstream's e2e probe client):
// TIMEOUT, REFUSED, DNS: ..., OTHER: .... The conversation is agnhost's too: a TCP connection that opens, a
// UDP "hostname" datagram answered, an SCTP association that carries one message each way. The exit status
// is 0 when every target answered.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ishidawataru/sctp"
)

const mark = "@@netconform"

// The whole run's own bound: a dial that ignores its deadline (none should) cannot hold the batch longer.
const grace = time.Second

type outcome struct {
	rc   int
	text string
}

func main() {
	timeout := flag.Duration("timeout", 2*time.Second, "per-target deadline, name resolution included")
	flag.Parse()
	targets := flag.Args()
	if len(targets) == 0 {
		fmt.Fprintln(os.Stderr, "usage: netconform-dial [--timeout=2s] PROTOCOL:HOST:PORT ...")
		os.Exit(2)
	}
	done := make(chan int, len(targets))
	results := make([]outcome, len(targets))
	for i, target := range targets {
		go func() {
			results[i] = dial(target, *timeout)
			done <- i
		}()
	}
	finished := make([]bool, len(targets))
	bound := time.After(*timeout + grace)
	for left := len(targets); left > 0; left-- {
		select {
		case i := <-done:
			finished[i] = true
		case <-bound:
			left = 0
		}
	}
	status := 0
	for i := range targets {
		result := outcome{1, "TIMEOUT"}
		if finished[i] {
			result = results[i]
		}
		if result.rc != 0 {
			status = 1
		}
		fmt.Printf("%s %d %d %s\n", mark, i, result.rc, strings.ReplaceAll(result.text, "\n", " "))
	}
	os.Exit(status)
}

func dial(target string, timeout time.Duration) outcome {
	protocol, address, ok := strings.Cut(target, ":")
	if !ok {
		return outcome{1, "UNKNOWN: not PROTOCOL:HOST:PORT: " + target}
	}
	if _, _, err := net.SplitHostPort(address); err != nil {
		return outcome{1, fmt.Sprintf("UNKNOWN: %v", err)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	switch protocol {
	case "tcp":
		return dialTCP(ctx, address)
	case "udp":
		return dialUDP(ctx, address)
	case "sctp":
		return dialSCTP(ctx, address)
	}
	return outcome{1, "UNKNOWN: unsupported protocol " + protocol}
}

func dialTCP(ctx context.Context, address string) outcome {
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", address)
	if err != nil {
		return failed(err)
	}
	conn.Close()
	return outcome{0, "CONNECTED"}
}

func dialUDP(ctx context.Context, address string) outcome {
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "udp", address) // resolves the name; UDP sends nothing yet
	if err != nil {
		return failed(err)
	}
	defer conn.Close()
	return converse(ctx, conn)
}

func dialSCTP(ctx context.Context, address string) outcome {
	host, port, _ := net.SplitHostPort(address)
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return failed(err)
	}
	var portNumber int
	if _, err := fmt.Sscanf(port, "%d", &portNumber); err != nil {
		return outcome{1, "UNKNOWN: port " + port}
	}
	addr := &sctp.SCTPAddr{IPAddrs: ips[:1], Port: portNumber}
	// DialSCTP has no deadline of its own: it runs aside and the context bounds the wait (as agnhost does).
	opened := make(chan outcome, 1)
	go func() {
		conn, err := sctp.DialSCTP("sctp", nil, addr)
		if err != nil {
			opened <- failed(err)
			return
		}
		defer conn.Close()
		opened <- converse(ctx, conn)
	}()
	select {
	case result := <-opened:
		return result
	case <-ctx.Done():
		return outcome{1, "TIMEOUT"}
	}
}

// converse sends "hostname" and reads the answer (netexec's UDP and SCTP servers reply with the pod's name).
func converse(ctx context.Context, conn net.Conn) outcome {
	if deadline, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(deadline); err != nil {
			return outcome{1, fmt.Sprintf("OTHER: %v", err)}
		}
	}
	if _, err := conn.Write([]byte("hostname\n")); err != nil {
		return failed(err)
	}
	buf := make([]byte, 1024)
	n, err := conn.Read(buf)
	if err != nil {
		return failed(err)
	}
	if n == 0 {
		return outcome{1, "OTHER: no data received from the server"}
	}
	return outcome{0, strings.TrimSpace(string(buf[:n]))}
}

func failed(err error) outcome {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && !dnsErr.IsTimeout:
		return outcome{1, fmt.Sprintf("DNS: %v", err)}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return outcome{1, "TIMEOUT"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return outcome{1, "REFUSED"}
	}
	return outcome{1, fmt.Sprintf("OTHER: %v", err)}
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}
