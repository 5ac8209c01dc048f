package commands

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/domain"
)

// Fingerprint identifies a request's content, so that an idempotency key
// reused for another request can be told from a replay of the same one. It
// is recorded with the command's events (events.Envelope.CommandFingerprint)
// and reads
//
//	<command name> ":" hex(SHA-256(<command name> "\n" <canonical data>))
//
// The canonical data is the command as decoded, not as sent: encoding/json's
// compact encoding of the typed command value (members in the struct's field
// order, every member present unless it is an omitempty zero, Go's string
// escaping, times in UTC). So whitespace, member order, an absent versus a
// null versus an empty data object, a time's zone offset, and a ticket id
// given in the path rather than repeated in the body make no difference;
// any difference in what the domain would decide on does. Envelope members
// that are not the command (the If-Match revision, the correlation id) are
// not part of it.
func Fingerprint(cmd domain.Command) (string, error) {
	if cmd == nil {
		return "", invalidField("command", "is required")
	}
	v := reflect.New(reflect.TypeOf(cmd)).Elem()
	v.Set(reflect.ValueOf(cmd))
	data, err := json.Marshal(utcTimes(v).Interface())
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", cmd.CommandName(), err)
	}
	name := cmd.CommandName()
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write(data)
	return name + ":" + hex.EncodeToString(h.Sum(nil)), nil
}

// fingerprintCommand returns the command name a fingerprint was made for.
func fingerprintCommand(fp string) string {
	name, _, _ := strings.Cut(fp, ":")
	return name
}

var timeType = reflect.TypeFor[time.Time]()

// utcTimes returns a copy of v with every time.Time in it (through
// structs, pointers and slices) in UTC. v's own pointers and slices are not
// written through: the caller's command stays as it was.
func utcTimes(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v)
		if v.Type() == timeType {
			out.Set(reflect.ValueOf(v.Interface().(time.Time).UTC()))
			return out
		}
		for i := range v.NumField() {
			if out.Field(i).CanSet() {
				out.Field(i).Set(utcTimes(v.Field(i)))
			}
		}
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(utcTimes(v.Elem()))
		return p
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(utcTimes(v.Index(i)))
		}
		return out
	}
	return v
}
