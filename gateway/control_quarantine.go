package gateway

import "net/http"

// quarantineHandlers registers the admin calls behind `mugai quarantine`.
func (s *Server) quarantineHandlers(mux *http.ServeMux) {}
