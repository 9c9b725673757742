//go:build tools

// Package tools pins cyclonus v0.5.6 (the peer `make bench` runs beside netconform); nothing else of ours is
// built from this module.
package tools

import _ "github.com/mattfenwick/cyclonus/cmd/cyclonus"
