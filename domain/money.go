package domain

import (
	"math"
	"math/bits"
)

// Money is int64 minor units (fen). The command path bounds every amount
// it accepts (policy.Policy.MaxAmount), but the rules must hold on any
// ticket a ledger can hold — one recorded before the bound existed, or
// imported — so a sum or product of amounts is computed here, checked,
// and never wraps around: an int64 product that wrapped once let a
// counterfeit ruling order a compensation of 4 on a price whose true 10×
// does not fit in int64 (issue 11, finding 8).

// addAmounts returns a+b, or ErrAmountOutOfRange when either is negative
// or the sum does not fit in int64.
func addAmounts(a, b int64) (int64, error) {
	if a < 0 || b < 0 || a > math.MaxInt64-b {
		return 0, refuse(ErrAmountOutOfRange, "%d + %d does not fit in an amount", a, b)
	}
	return a + b, nil
}

// mulAmount returns a×m, or ErrAmountOutOfRange when either is negative or
// the product does not fit in int64.
func mulAmount(a, m int64) (int64, error) {
	if a < 0 || m < 0 {
		return 0, refuse(ErrAmountOutOfRange, "%d × %d: amounts are not negative", a, m)
	}
	hi, lo := bits.Mul64(uint64(a), uint64(m))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, refuse(ErrAmountOutOfRange, "%d × %d does not fit in an amount", a, m)
	}
	return int64(lo), nil
}
