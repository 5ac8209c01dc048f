package events

import (
	"reflect"
	"time"
	"unsafe"
)

// SameWire reports whether a and b are sure to be written alike: payloads
// of one type the canonical decoder has a plan for (plan.go), whose every
// member — the members encoding/json writes, nothing else — is equal. It
// reads the members in place, by the plan's offsets, without reflection
// or allocation: an auditor compares every recorded event with the one
// the rules decide (domain.CheckDecision).
//
// False means they differ or that SameWire cannot tell (another type, a
// type without a plan, a nil slice beside an empty one): a caller that
// must know compares their encodings.
func SameWire(a, b Payload) bool {
	if a == nil || b == nil {
		return false
	}
	e, known := registry[a.EventType()]
	if !known || e.plan == nil || !e.indirect || reflect.TypeOf(a) != e.typ || reflect.TypeOf(b) != e.typ {
		return false
	}
	return sameMembers(e.plan, dataOf(&a), dataOf(&b))
}

// dataOf returns the address of the value an interface holds, for a type
// the interface holds indirectly (entry.indirect): its data word.
func dataOf(p *Payload) unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(p))[1]
}

// indirectInInterface reports whether an interface holding a t holds a
// pointer to a copy of it, not the value itself: every struct type but
// those the size of one pointer (which may be stored in the data word).
func indirectInInterface(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t.Size() != unsafe.Sizeof(uintptr(0))
}

func sameMembers(p *plan, a, b unsafe.Pointer) bool {
	for i := range p.members {
		m := &p.members[i]
		if !sameValue(m.vt, unsafe.Add(a, m.offset), unsafe.Add(b, m.offset)) {
			return false
		}
	}
	return true
}

// sameValue compares two values of vt's type at a and b.
func sameValue(vt *valueType, a, b unsafe.Pointer) bool {
	switch vt.kind {
	case kindString:
		return *(*string)(a) == *(*string)(b)
	case kindBool:
		return *(*bool)(a) == *(*bool)(b)
	case kindInt, kindUint:
		switch vt.typ.Size() {
		case 1:
			return *(*uint8)(a) == *(*uint8)(b)
		case 2:
			return *(*uint16)(a) == *(*uint16)(b)
		case 4:
			return *(*uint32)(a) == *(*uint32)(b)
		case 8:
			return *(*uint64)(a) == *(*uint64)(b)
		}
		return false
	case kindTime:
		// The same instant in the same location (== compares the
		// location's pointer): written alike.
		return *(*time.Time)(a) == *(*time.Time)(b)
	case kindStruct:
		return sameMembers(vt.plan, a, b)
	case kindPointer:
		pa, pb := *(*unsafe.Pointer)(a), *(*unsafe.Pointer)(b)
		if pa == nil || pb == nil {
			return pa == pb
		}
		return sameValue(vt.elem, pa, pb)
	case kindSlice:
		sa, sb := (*sliceHeader)(a), (*sliceHeader)(b)
		if sa.len != sb.len || (sa.data == nil) != (sb.data == nil) {
			return false // a nil slice is written null, an empty one []
		}
		size := vt.elem.typ.Size()
		for i := range sa.len {
			off := uintptr(i) * size
			if !sameValue(vt.elem, unsafe.Add(sa.data, off), unsafe.Add(sb.data, off)) {
				return false
			}
		}
		return true
	}
	return false
}

// sliceHeader is the layout of a slice value.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}
