// Command dump prints cyclonus v0.5.6's default generated case list as JSON, for netconform's translation
// (src/netconform/core/netpol/cyclonus.py reads its output; the data lives in
// src/netconform/data/cyclonus-v0.5.6.json).
//
// It calls the generator exactly as `cyclonus generate` does with its defaults (pkg/cli/generate.go:
// --allow-dns=true, namespaces x,y,z, no --include, --exclude = DefaultExcludeTags), with a sentinel IP in
// place of z/c's pod IP, so the ipBlock CIDRs it derives (pkg/generator/peerscases.go) can be mapped back
// to "z/c's IP with N low bits zeroed".
package main

import (
	"encoding/json"
	"os"

	"github.com/mattfenwick/cyclonus/pkg/cli"
	"github.com/mattfenwick/cyclonus/pkg/generator"
)

// SentinelIP stands for z/c's pod IP; the translator recognises CIDRs derived from it.
const SentinelIP = "192.168.77.77"

func main() {
	gen := generator.NewTestCaseGenerator(true, SentinelIP, []string{"x", "y", "z"}, nil, cli.DefaultExcludeTags)
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", " ")
	if err := encoder.Encode(gen.GenerateTestCases()); err != nil {
		panic(err)
	}
}
