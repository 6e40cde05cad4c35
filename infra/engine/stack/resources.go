package stack

import (
	"fmt"
	"sync"
)

// resources records what each created resource answers to Ref and Fn::GetAtt; it is the
// sam.ResourceResolver the template is resolved with.
type resources struct {
	mu    sync.RWMutex
	refs  map[string]any
	attrs map[string]map[string]any
}

func newResources() *resources {
	return &resources{refs: map[string]any{}, attrs: map[string]map[string]any{}}
}

func (r *resources) set(logicalID string, ref any, attrs map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refs[logicalID] = ref
	if attrs == nil {
		attrs = map[string]any{}
	}
	r.attrs[logicalID] = attrs
}

func (r *resources) Ref(logicalID string) (any, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.refs[logicalID]
	if !ok {
		return nil, fmt.Errorf("resource %s is not created (yet)", logicalID)
	}
	return v, nil
}

func (r *resources) GetAtt(logicalID, attr string) (any, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	a, ok := r.attrs[logicalID]
	if !ok {
		return nil, fmt.Errorf("resource %s is not created (yet)", logicalID)
	}
	v, ok := a[attr]
	if !ok {
		return nil, fmt.Errorf("resource %s has no attribute %s locally", logicalID, attr)
	}
	return v, nil
}
