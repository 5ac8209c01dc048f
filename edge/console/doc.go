// Package console is the ledger's browser console for arbitrators, agents,
// auditors and the parties: the work queue, a ticket's timeline with its
// replay, the acting forms, a merchant's score and an auditor's step-by-step
// verification of one ticket. It is served by `disputes serve` under
// /console/ beside the HTTP API and shares what the API uses: its
// authentication (package auth, a token or a JWT given once at sign-in and
// kept server-side behind a session cookie), its read scoping
// (httpapi.MayRead: a non-party reads a ticket exactly as a missing one),
// its read model (httpapi.ReadModel) and its command path
// (commands.Handler, with a fresh idempotency key per form and the page's
// revision as the expected one).
//
// Pages are rendered on the server with html/template; every asset is
// embedded, and the little JavaScript there is (live refresh over the API's
// event stream, the replay slider) only improves pages that work without it.
package console
