// Command cmdcatalog writes docs/commands.md, the catalogue of the
// ledger's commands, from the code: domain.Registry (names, summaries,
// roles), the data schemas the OpenAPI document states
// (httpapi.CommandDataSchemas: fields, types, bounds) and the domain's
// own decisions over the ticket states the scenarios reach (the states
// each command is accepted in, the refusal codes it meets and the members
// it cannot do without, which it also writes as edge/httpapi's
// requiredMembers for the OpenAPI document). Run it
// through go generate in cmd/disputes; TestCatalogueIsCurrent fails when
// the file is stale.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/disputes-ledger/disputes/domain/policy"
)

func main() {
	out := flag.String("o", "docs/commands.md", "the catalogue to write")
	required := flag.String("required", "edge/httpapi/required_gen.go", "the Go file of the members the OpenAPI document marks required")
	flag.Parse()
	doc, seen, err := build()
	if err == nil {
		err = os.WriteFile(*out, doc, 0o644)
	}
	if err == nil {
		err = os.WriteFile(*required, requiredGo(requiredMembers(seen, policy.Default())), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cmdcatalog:", err)
		os.Exit(1)
	}
}
