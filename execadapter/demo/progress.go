package demo

// Phase names what a run is doing when it reports [Progress].
type Phase string

// The phases of a run, in order.
const (
	PhaseOrders    Phase = "sending orders"
	PhaseClosing   Phase = "closing the audit log"
	PhaseVerifying Phase = "verifying the audit log"
)

// Progress is how far a run has come: Done of Total orders sent in
// PhaseOrders; the later phases report the final count.
type Progress struct {
	Phase Phase
	Done  int
	Total int
}

// progressEvery is how many orders pass between two reports in
// PhaseOrders: rare enough to cost nothing next to an order, often enough
// for a slow signer (a KMS at a few hundred orders a second) to be seen
// moving.
const progressEvery = 256
