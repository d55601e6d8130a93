package metrics

import (
	"crypto/md5"
	"encoding/hex"
	"sync"
	"sync/atomic"
)

// Group is a k6 group (root has empty name and path). Children and checks keep creation order
// because the summary lists them that way.
type Group struct {
	Name, Path, ID string
	Parent         *Group

	mu       sync.Mutex
	groups   []*Group
	groupIdx map[string]*Group
	checks   []*Check
	checkIdx map[string]*Check
}

// Check is a named check inside a group; passes/fails are atomic so VUs record without locks.
type Check struct {
	Name, Path, ID string
	Group          *Group

	passes, fails atomic.Int64
}

func pathID(path string) string {
	sum := md5.Sum([]byte(path))
	return hex.EncodeToString(sum[:])
}

// NewRootGroup returns the root group ("" name and path).
func NewRootGroup() *Group {
	return &Group{ID: pathID("")}
}

// Child returns the named subgroup, creating it on first use.
func (g *Group) Child(name string) *Group {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.groupIdx[name]; ok {
		return c
	}
	path := g.Path + "::" + name
	c := &Group{Name: name, Path: path, ID: pathID(path), Parent: g}
	if g.groupIdx == nil {
		g.groupIdx = map[string]*Group{}
	}
	g.groupIdx[name] = c
	g.groups = append(g.groups, c)
	return c
}

// Check returns the named check of this group, creating it on first use.
func (g *Group) Check(name string) *Check {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.checkIdx[name]; ok {
		return c
	}
	path := g.Path + "::" + name
	c := &Check{Name: name, Path: path, ID: pathID(path), Group: g}
	if g.checkIdx == nil {
		g.checkIdx = map[string]*Check{}
	}
	g.checkIdx[name] = c
	g.checks = append(g.checks, c)
	return c
}

// Groups returns a snapshot of the subgroups in creation order.
func (g *Group) Groups() []*Group {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*Group(nil), g.groups...)
}

// Checks returns a snapshot of the checks in creation order.
func (g *Group) Checks() []*Check {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*Check(nil), g.checks...)
}

// Record counts one evaluation of the check.
func (c *Check) Record(ok bool) {
	if ok {
		c.passes.Add(1)
	} else {
		c.fails.Add(1)
	}
}

// Passes and Fails return the counts so far.
func (c *Check) Passes() int64 { return c.passes.Load() }
func (c *Check) Fails() int64  { return c.fails.Load() }
