package postgres

// ListenPID is the backend of the connection the cache listens on.
func (s *Store) ListenPID() uint32 { return s.cache.pid.Load() }

// Listening tells whether the cache is trusted.
func (s *Store) Listening() bool {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.listening
}

// Cached tells whether a read of the datasource would be served from the
// cache.
func (s *Store) Cached(workspace, id string) bool {
	d, _ := s.cache.get(workspace, id)
	return d != nil
}
