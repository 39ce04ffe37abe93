package gateway

import "net/http"

// queueHandlers registers the admin calls behind `mugai queue`.
func (s *Server) queueHandlers(mux *http.ServeMux) {}
