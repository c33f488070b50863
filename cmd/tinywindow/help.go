package main

// help is what each subcommand's -h says before its flags: what it does and
// an example to copy. newFlagSet prints it; TestHelpSaysWhatAndHow holds
// every subcommand to having one.
var help = map[string]struct{ what, example string }{
	"keygen": {
		"Prints the MVP's key for a seed, makes a random key file (mode 0600), or makes or imports\n" +
			"a key in an HSM or KMS named by --signer.",
		"tinywindow keygen --alg ECDSA-P256-SHA256 --out orders.pem",
	},
	"sign": {
		"Signs standard input (or --in FILE, at most 16 MiB) with the key and prints the signature\n" +
			"in hex.",
		"echo 'order 1' | tinywindow sign --signer hmac:seed=42",
	},
	"verify": {
		"Verifies a hex signature over standard input (or --in FILE). Exit 0: valid; 1: invalid;\n" +
			"2: could not decide (a missing key, a backend down).",
		"echo 'order 1' | tinywindow verify --signer hmac:seed=42 --sig \"$(echo 'order 1' | tinywindow sign --signer hmac:seed=42)\"",
	},
	"pubkey": {
		"Prints the key's public key as PEM (SPKI), which pem:pub-source= opens as a verify-only key.",
		"tinywindow pubkey --signer pem:key-source=file:orders.pem > orders.pub.pem",
	},
	"providers": {
		"Lists the registered backends, the algorithms each offers, and the FIPS 140-3 mode.",
		"tinywindow providers --json",
	},
	"bench": {
		"Measures signing and verifying with the key: operations a second and latency percentiles.\n" +
			"With --batch-window, also orders sent through the execution adapter to an in-process\n" +
			"venue, signed one by one and in batches: batches/s, orders per batch, the latency batching\n" +
			"adds and the bytes on the wire per order.",
		"tinywindow bench --signer 'pqc:alg=ML-DSA-65;seed-source=file:seed' --duration 5s",
	},
	"conformance": {
		"Runs the conformance suite against the key (an auditor's check of a production HSM or KMS\n" +
			"key) and writes JSON and Markdown reports. Exit 0 when every check passes.",
		"tinywindow conformance --signer 'pkcs11:token=prod;object=orders' --report report.json --markdown report.md --sign-with pem:key-source=file:auditor.pem",
	},
	"conformance verify-report": {
		"Checks a report's detached signature (REPORT.sig, written by conformance --sign-with) with\n" +
			"the signer's key; a public key is enough. Exit 0: the key signed this very report, of a\n" +
			"schema this program knows; 1: it did not (edited, another report, another key); 2: could\n" +
			"not check (unreadable files, a malformed signature file, an unknown schema version).",
		"tinywindow conformance verify-report report.json --verifier pem:pub-source=file:auditor.pub.pem",
	},
	"demo": {
		"The main job: sends orders through the pre-trade checks, signs each, sends it to a venue\n" +
			"(in-process, or tinywindow venue over TCP), records orders and acks in a Merkle-tree audit\n" +
			"log with signed checkpoints, verifies the log, and prints throughput and latency beside\n" +
			"the MVP's targets. A few percent of the orders are rejected on purpose.",
		"tinywindow demo --orders 100000 --audit orders.log",
	},
	"kill": {
		"Asks a signing service to stop signing orders of a scope: all, account=ACCOUNT or\n" +
			"symbol=SYMBOL. When it returns, no order in scope is signed until two different client\n" +
			"identities resume it. The client needs the Kill permission; the kill is recorded under\n" +
			"its certificate identity in the service's audit log, with a signed checkpoint.",
		"tinywindow kill --service 'remote:addr=signer:7443?ca-source=file:ca.pem&cert-source=file:risk.pem&key-source=file:risk.key' --scope account=ACC-1 --reason 'runaway algo'",
	},
	"resume": {
		"Approves lifting a signing service's kill of exactly --scope. The first identity's approval\n" +
			"leaves the kill in force; a second, different identity's lifts it; the same identity twice\n" +
			"is refused. The client needs the Resume permission; each approval is in the audit log.",
		"tinywindow resume --service 'remote:addr=signer:7443?ca-source=file:ca.pem&cert-source=file:ops.pem&key-source=file:ops.key' --scope account=ACC-1 --reason 'algo fixed'",
	},
	"venue": {
		"Serves a simulated venue over TCP: it verifies every order's signature with --verifier (a\n" +
			"public key is enough), refuses replays within its duplicate window (kept in --state DIR\n" +
			"across restarts), and signs its acks with --signer. SIGINT or SIGTERM stops it.",
		"tinywindow venue --listen 127.0.0.1:9400 --verifier pem:pub-source=file:orders.pub.pem --state venue-state",
	},
	"audit verify": {
		"Checks an audit log: every record, the Merkle tree and every signed checkpoint, and, with\n" +
			"--checkpoints, that the log was neither cut nor forked. It shows the clock state each\n" +
			"checkpoint states; --max-clock-error D requires each to show a synchronised clock with at\n" +
			"most D of maximum error. Exit 0: intact; 1: changed or cut (naming the first bad record),\n" +
			"or a checkpoint outside --max-clock-error (naming it); 2: could not check.",
		"tinywindow audit verify orders.log --signer pem:pub-source=file:orders.log.checkpoint-key.pub.pem --max-clock-error 50ms",
	},
	"audit prove": {
		"Prints one record of an audit log with its inclusion proof and the signed checkpoint it\n" +
			"is proved against, for someone who does not hold the log.",
		"tinywindow audit prove orders.log --record 5 > 5.proof",
	},
	"audit check-proof": {
		"Checks a proof from audit prove offline, with the checkpoint key alone. Exit 0: the record\n" +
			"is in the log; 1: the proof does not hold; 2: could not check.",
		"tinywindow audit check-proof 5.proof --verifier pem:pub-source=file:orders.log.checkpoint-key.pub.pem",
	},
	"audit export": {
		"Writes an audit log as a C2SP tlog-tiles log in DIR (checkpoint, tile/…, tile/entries/…),\n" +
			"or under a prefix of an S3 bucket (s3://BUCKET/PREFIX?endpoint=URL&region=R, path-style,\n" +
			"credentials from the AWS environment), up to its latest checkpoint: any tlog-tiles client\n" +
			"that knows the checkpoint key verifies records and checkpoints from it. A target exported\n" +
			"before gets only what is new; a file changed in it, or a log that does not extend it, is\n" +
			"refused (exit 2).",
		"tinywindow audit export orders.log --to /srv/tlog/orders && (cd /srv/tlog/orders && python3 -m http.server)",
	},
	"trail serve": {
		"Runs the firm's trail: a Tessera log (C2SP tlog-tiles, served under http://ADDR/) whose\n" +
			"entries are the signed checkpoints of the registered adapter logs. POST /add-checkpoint\n" +
			"takes a checkpoint with a consistency proof from the one last accepted for its origin;\n" +
			"a fork or a shrink is refused (422) and kept as evidence (GET /evidence/ORIGIN). The\n" +
			"trail signs its own checkpoints with --signer, an Ed25519 key; each --witness must\n" +
			"cosign one before it is published. SIGINT or SIGTERM stops it once its last entries are\n" +
			"under a published checkpoint.",
		"tinywindow trail serve --storage posix:/srv/trail --listen 127.0.0.1:8470 --signer pem:key-source=file:trail.pem --log adapter.example/a=pem:pub-source=file:a.checkpoint-key.pub.pem",
	},
	"trail prove": {
		"Prints the proof that one record of an adapter's audit log is in the firm's trail: the\n" +
			"record and its inclusion in the adapter's checkpoint C (read from the log's export, audit\n" +
			"export), and C's inclusion in the trail's latest checkpoint T, with T's cosignatures.",
		"tinywindow trail prove --trail http://127.0.0.1:8470 --export tiles/ --origin adapter.example/a --record 5 > 5.trail-proof",
	},
	"trail check-proof": {
		"Checks a proof from trail prove offline, with the adapter's checkpoint key and the trail's\n" +
			"key alone (public keys are enough); each --witness must have cosigned the trail's\n" +
			"checkpoint. Exit 0: the record is in the trail; 1: the proof does not hold; 2: could not check.",
		"tinywindow trail check-proof 5.trail-proof --verifier pem:pub-source=file:a.checkpoint-key.pub.pem --trail-verifier pem:pub-source=file:trail.pub.pem",
	},
	"csr": {
		"Writes a PKCS #10 certificate request signed by the key, for a CA to issue a certificate.",
		"tinywindow csr --signer 'pkcs11:token=prod;object=tls' --subject CN=signer.internal --dns signer.internal --out tls.csr",
	},
	"cert": {
		"Writes an X.509 certificate for the key: self-signed, or issued by --ca-signer and --ca-cert.",
		"tinywindow cert --signer pem:key-source=file:client.pem --subject CN=trader-1 --client --ca-signer pem:key-source=file:ca.pem --ca-cert ca.pem --out client.crt",
	},
	"serve": {
		"Runs the signing service: the keys of a config file over gRPC with mutual TLS, per-client\n" +
			"authorisation and rate limits, Prometheus metrics; each key signs only through its purpose's RPC\n" +
			"(orders, acks, checkpoints, raw). SIGHUP reloads; SIGTERM drains and stops.\n" +
			"--init-checkpoint-state FILE creates the state file of a new checkpoints key.",
		"tinywindow serve --config /etc/tinywindow/service.yaml",
	},
	"version": {
		"Prints the module version (a release such as v0.1.0, or (devel) for a build from a work\n" +
			"tree), the commit, the Go version and the FIPS 140-3 mode.",
		"tinywindow version --json",
	},
}
