// Package backendtest holds the tests that the group-commit backends
// (SQLite, PostgreSQL) run on their internals and their lifecycle, beyond
// the conformance suite of package storetest: each backend calls them from
// its own tests with a store it opened.
package backendtest
