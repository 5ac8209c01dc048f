package events

// Test hooks into the two decode paths, which the external tests compare.

// DecodeCanonical is Decode's fast path.
func DecodeCanonical(data []byte) (Envelope, bool) { return decodeCanonical(data, string(data)) }

// DecodeStrict is Decode's reference path.
func DecodeStrict(data []byte) (Envelope, error) { return decodeStrict(data) }

// PlanError reports why eventType's payload has no plan (nil if it has one).
func PlanError(eventType string) error {
	e, ok := registry[eventType]
	if !ok {
		return &UnknownTypeError{Type: eventType}
	}
	_, err := planFor(e.typ)
	return err
}
