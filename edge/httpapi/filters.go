package httpapi

import (
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// listEnums are the ticket list's enumerated filters and the values each
// takes. The list answers any other value 400 naming the parameter (a
// misspelt status would otherwise read as "no such tickets"), and the
// OpenAPI document gives the same values as the parameters' enums.
func listEnums() map[string][]string {
	return map[string][]string{
		"status": enums[reflect.TypeFor[domain.Status]()],
		"kind":   enums[reflect.TypeFor[events.TicketKind]()],
	}
}

// enumParam returns the query parameter name, "" when absent, or a 400
// naming the parameter and its values when it holds anything else.
func enumParam(r *http.Request, name string) (string, error) {
	v := r.URL.Query().Get(name)
	allowed := listEnums()[name]
	if v == "" || slices.Contains(allowed, v) {
		return v, nil
	}
	return "", badRequest(name, "must be one of "+strings.Join(allowed, ", "))
}
