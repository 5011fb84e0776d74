package main

import (
	"context"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"vminitd/agentpb"
)

// minClock rejects a host time before 2001 (certainly a bug on the host, not a clock).
const minClock = int64(978307200) * int64(time.Second)

// SetTime sets CLOCK_REALTIME from the host. The host calls it after the agent is ready and then
// periodically (see vm-runtime's README): under TCG the guest clock drifts, and the guest has no
// better source.
func (s *agentServer) SetTime(ctx context.Context, req *agentpb.SetTimeRequest) (*agentpb.SetTimeResponse, error) {
	if req.UnixNanos < minClock {
		return nil, status.Errorf(codes.InvalidArgument, "time %d ns is before 2001", req.UnixNanos)
	}
	before := time.Now().UnixNano()
	tv := unix.NsecToTimeval(req.UnixNanos) // microseconds are plenty
	if err := unix.Settimeofday(&tv); err != nil {
		return nil, status.Errorf(codes.Internal, "set the clock: %v", err)
	}
	offset := before - req.UnixNanos
	if offset > int64(time.Second) || offset < -int64(time.Second) {
		debugf("clock: was off by %v; set from the host", time.Duration(offset))
	}
	return &agentpb.SetTimeResponse{PreviousOffsetNanos: offset}, nil
}
