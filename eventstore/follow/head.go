package follow

import (
	"context"
	"fmt"
)

// Head returns the position of the last event of the global log (0 for an
// empty log). The store port has no such query, so Head finds it with
// ReadAll probes, galloping and then bisecting: positions are gap-free, so
// "is there an event after p" is monotone in p. That is about 2·log2(head)
// single-row reads.
func Head(ctx context.Context, log Reader) (uint64, error) {
	after := func(p uint64) (bool, error) {
		evs, err := log.ReadAll(ctx, p, 1)
		if err != nil {
			return false, fmt.Errorf("find the head of the log: %w", err)
		}
		return len(evs) > 0, nil
	}
	// Invariant: an event exists after lo (or lo is 0 and unknown), none after hi.
	lo, hi := uint64(0), uint64(1)
	for {
		more, err := after(hi - 1)
		if err != nil {
			return 0, err
		}
		if !more {
			break
		}
		lo, hi = hi, hi*2
	}
	// Events exist up to at least lo; none beyond hi-1.
	for lo+1 < hi {
		mid := lo + (hi-lo)/2
		more, err := after(mid - 1)
		if err != nil {
			return 0, err
		}
		if more {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}
