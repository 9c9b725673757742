// pause: the sandbox process of every test-bed pod. It holds the pod's namespaces, reaps zombies (it is
// PID 1 of the pod's PID namespace when sharing is on) and exits on SIGINT/SIGTERM. Our own, so that no
// registry image is needed and each pod costs about a megabyte.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
