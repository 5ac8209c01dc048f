package events

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// CurrentSchemaVersion is the schema version of every payload type today.
// When a payload's shape changes, its version moves on and an upcaster
// (see upcast) turns old stored bodies into the new shape on read; stored
// events are never rewritten.
const CurrentSchemaVersion = 1

// Types lists every wire name of the catalogue.
func Types() []string {
	return []string{
		TypeRefundRequested, TypeRequestRevised, TypeMerchantAgreed, TypeMerchantRejected,
		TypeOfferMade, TypeOfferAccepted, TypeOfferDeclined, TypeReturnShipped,
		TypeReturnReceived, TypeReturnProblemReported, TypeReplacementShipped,
		TypeReplacementConfirmed, TypeRefundIssued, TypeInterventionRequested,
		TypeEvidenceRequested, TypeEvidenceSubmitted, TypeMarkedResolved,
		TypeRulingRecorded, TypeAppealFiled, TypeAppealDecided, TypeRulingFinalized,
		TypeTicketWithdrawn, TypeTicketAbandoned, TypeTicketExpired, TypeMessagePosted,
		TypeDeadlineExpired, TypeRulingSLABreached,
	}
}

// SchemaVersionOf returns the current schema version of a wire name, or
// false for an unknown type.
func SchemaVersionOf(eventType string) (int, bool) {
	for _, known := range Types() {
		if known == eventType {
			return CurrentSchemaVersion, true
		}
	}
	return 0, false
}

// decodePayload strictly decodes raw into the payload type named eventType.
func decodePayload(eventType string, raw []byte) (Payload, error) {
	switch eventType {
	case TypeRefundRequested:
		return decodeAs[RefundRequested](raw)
	case TypeRequestRevised:
		return decodeAs[RequestRevised](raw)
	case TypeMerchantAgreed:
		return decodeAs[MerchantAgreed](raw)
	case TypeMerchantRejected:
		return decodeAs[MerchantRejected](raw)
	case TypeOfferMade:
		return decodeAs[OfferMade](raw)
	case TypeOfferAccepted:
		return decodeAs[OfferAccepted](raw)
	case TypeOfferDeclined:
		return decodeAs[OfferDeclined](raw)
	case TypeReturnShipped:
		return decodeAs[ReturnShipped](raw)
	case TypeReturnReceived:
		return decodeAs[ReturnReceived](raw)
	case TypeReturnProblemReported:
		return decodeAs[ReturnProblemReported](raw)
	case TypeReplacementShipped:
		return decodeAs[ReplacementShipped](raw)
	case TypeReplacementConfirmed:
		return decodeAs[ReplacementConfirmed](raw)
	case TypeRefundIssued:
		return decodeAs[RefundIssued](raw)
	case TypeInterventionRequested:
		return decodeAs[InterventionRequested](raw)
	case TypeEvidenceRequested:
		return decodeAs[EvidenceRequested](raw)
	case TypeEvidenceSubmitted:
		return decodeAs[EvidenceSubmitted](raw)
	case TypeMarkedResolved:
		return decodeAs[MarkedResolved](raw)
	case TypeRulingRecorded:
		return decodeAs[RulingRecorded](raw)
	case TypeAppealFiled:
		return decodeAs[AppealFiled](raw)
	case TypeAppealDecided:
		return decodeAs[AppealDecided](raw)
	case TypeRulingFinalized:
		return decodeAs[RulingFinalized](raw)
	case TypeTicketWithdrawn:
		return decodeAs[TicketWithdrawn](raw)
	case TypeTicketAbandoned:
		return decodeAs[TicketAbandoned](raw)
	case TypeTicketExpired:
		return decodeAs[TicketExpired](raw)
	case TypeMessagePosted:
		return decodeAs[MessagePosted](raw)
	case TypeDeadlineExpired:
		return decodeAs[DeadlineExpired](raw)
	case TypeRulingSLABreached:
		return decodeAs[RulingSLABreached](raw)
	}
	return nil, &UnknownTypeError{Type: eventType}
}

func decodeAs[T Payload](raw []byte) (Payload, error) {
	var p T
	if err := strictUnmarshal(raw, &p); err != nil {
		return nil, err
	}
	return p, nil
}

// strictUnmarshal decodes exactly one JSON value into v, refusing unknown
// fields and trailing data.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after JSON value")
	}
	if _, err := dec.Token(); err == nil {
		return fmt.Errorf("trailing data after JSON value")
	}
	return nil
}

// upcast turns a stored payload of an older schema version into the current
// shape. No shape has changed yet, so every other version is refused.
func upcast(eventType string, version int, raw []byte) ([]byte, error) {
	if version == CurrentSchemaVersion {
		return raw, nil
	}
	return nil, &VersionError{Type: eventType, Version: version, Want: CurrentSchemaVersion}
}
