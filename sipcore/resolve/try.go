package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
)

// Try resolves q and calls attempt for each target in order until one
// succeeds (RFC 3263 §4.3). It moves to the next target when the attempt's
// error is retryable (see Retryable): a timeout, a transport failure, or an
// error wrapping ErrTryNext, which is how an attempt reports a 503 Service
// Unavailable. Any other error, or the end of ctx, stops the walk and is
// returned with the target that produced it. When every target fails the
// error wraps ErrExhausted and each attempt's error.
//
// With Config.AttemptTimeout set, each attempt runs under its own deadline.
func (r *Resolver) Try(ctx context.Context, q Query, attempt func(ctx context.Context, t Target) error) (Target, error) {
	targets, err := r.Resolve(ctx, q)
	if err != nil {
		return Target{}, err
	}
	var errs []error
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return t, err
		}
		err := r.runAttempt(ctx, t, attempt)
		if err == nil {
			return t, nil
		}
		if ctx.Err() != nil || !Retryable(err) {
			return t, err
		}
		errs = append(errs, fmt.Errorf("%s: %w", t, err))
	}
	return Target{}, fmt.Errorf("%w: %w", ErrExhausted, errors.Join(errs...))
}

func (r *Resolver) runAttempt(ctx context.Context, t Target, attempt func(context.Context, Target) error) error {
	if r.cfg.AttemptTimeout <= 0 {
		return attempt(ctx, t)
	}
	actx, cancel := context.WithTimeout(ctx, r.cfg.AttemptTimeout)
	defer cancel()
	return attempt(actx, t)
}

// Retryable reports whether an attempt's error means "try the next target"
// (RFC 3263 §4.3): ErrTryNext (a 503), a timeout (context deadline or a
// net.Error that timed out, such as a transaction timeout mapped onto one),
// or a transport error (connection refused, reset, unreachable, any
// *net.OpError).
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrTryNext) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}
