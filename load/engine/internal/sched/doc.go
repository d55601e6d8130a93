// Package sched parses k6-style scenario options and runs the six k6
// executors (constant-arrival-rate, ramping-arrival-rate, constant-vus,
// ramping-vus, per-vu-iterations, shared-iterations) on a pool of VUs,
// honouring execution segments. It knows nothing of JS or metrics: the
// runner adapts it through the VU/VUPool interfaces and Hooks.
//
// Stopping. Each scenario has two moments: at the end of its length
// (duration, maxDuration or the sum of stages) no new iteration starts;
// gracefulStop later the ctx of the iterations still running is cancelled
// and they are reported with interrupted=true. Cancelling Run's ctx moves
// the first moment to "now" for every running scenario (scenarios whose
// startTime has not come never start); Run returns once everything has
// stopped, with an error matching ctx.Err() (errors.Is).
//
// Arrival rate. Iteration i of the unsegmented test starts at a time
// computed from the scenario start (i*timeUnit/rate, or where the integral
// of the ramped rate reaches i), never by accumulating sleeps. If no VU of
// the scenario is idle and fewer than maxVUs are held, a VU is allocated in
// the background and the iteration starts on it when ready; at maxVUs the
// iteration is dropped (Hooks.DroppedIteration).
//
// Execution segments. Every index of the unsegmented test (VU number,
// iteration number) is owned by exactly one segment of the sequence, by
// Tijdeman's chairman-assignment rule (see stripe): each segment owns
// within 1 of n*(b-a) of any first n indices, interleaved evenly. Scaled
// counts (VUs, iterations, preAllocatedVUs, maxVUs, ramping targets at any
// moment) are the number of indices below the unsegmented value that the
// segment owns, so the instances of a sequence sum to it exactly; an
// arrival-rate instance runs exactly the iteration indices it owns, at
// their unsegmented start times.
package sched
