// Command cmdcatalog writes docs/commands.md, the catalogue of the
// ledger's commands, from the code: domain.Registry (names, summaries,
// roles), the data schemas the OpenAPI document states
// (httpapi.CommandDataSchemas: fields, types, bounds) and the domain's
// own decisions over the ticket states the scenarios reach (the states
// each command is accepted in and the refusal codes it meets). Run it
// through go generate in cmd/disputes; TestCatalogueIsCurrent fails when
// the file is stale.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("o", "docs/commands.md", "the file to write")
	flag.Parse()
	doc, err := Build()
	if err == nil {
		err = os.WriteFile(*out, doc, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cmdcatalog:", err)
		os.Exit(1)
	}
}
