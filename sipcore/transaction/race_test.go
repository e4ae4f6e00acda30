//go:build race

package transaction_test

// raceEnabled is set when tests run under -race (which makes the
// 200,000-transaction memory check slow and its figures meaningless).
const raceEnabled = true
