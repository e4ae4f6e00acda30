// Package sipgobench runs teaphone's sipcore/sip benchmarks (same names,
// same input files, same work per iteration) against emiago/sipgo v1.7.2,
// for a side-by-side comparison. It is a separate module so the main module
// never depends on sipgo.
package sipgobench
