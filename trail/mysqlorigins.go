package trail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"golang.org/x/mod/sumdb/tlog"
)

// mysqlOrigins is an [OriginStore] on a MySQL-compatible database, which
// trail processes on several hosts share. It keeps its state in two
// tables, created if missing: tinywindow_trail_origins (one row an
// origin) and tinywindow_trail_evidence (one row a refused checkpoint).
// Update holds the origin's row with SELECT … FOR UPDATE inside a
// transaction, so it excludes the Updates of every process on the
// database; it commits (durably, as the database's InnoDB commits are)
// before it returns.
type mysqlOrigins struct {
	db *sql.DB
}

var _ OriginStore = (*mysqlOrigins)(nil)

// mysqlOriginsSchema creates the tables if they are missing. An origin's
// row with a NULL note is a placeholder for an origin with no accepted
// checkpoint yet: it exists so that Update has a row to lock (two
// transactions that each find no row would both insert one).
var mysqlOriginsSchema = []string{
	`CREATE TABLE IF NOT EXISTS tinywindow_trail_origins (
		origin VARBINARY(1024) NOT NULL PRIMARY KEY,
		tree_size BIGINT UNSIGNED NOT NULL DEFAULT 0,
		root_hash BINARY(32) NULL,
		entry_index BIGINT UNSIGNED NOT NULL DEFAULT 0,
		note MEDIUMBLOB NULL
	) ENGINE=InnoDB`,
	`CREATE TABLE IF NOT EXISTS tinywindow_trail_evidence (
		id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
		origin VARBINARY(1024) NOT NULL,
		accepted MEDIUMBLOB NOT NULL,
		refused MEDIUMBLOB NOT NULL,
		proof MEDIUMBLOB NOT NULL,
		reason TEXT NOT NULL,
		unix_nano BIGINT NULL, -- NULL for the zero time
		INDEX (origin, id)
	) ENGINE=InnoDB`,
}

// openMySQLOrigins connects to the database of dsn and creates the
// store's tables if they are missing. Its errors name the database's
// address, never the DSN, which holds a password.
func openMySQLOrigins(ctx context.Context, dsn *mysql.Config) (*mysqlOrigins, error) {
	where := fmt.Sprintf("origin store mysql %s/%s", dsn.Addr, dsn.DBName)
	conn, err := mysql.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	db := sql.OpenDB(conn)
	for _, stmt := range mysqlOriginsSchema {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("%s: creating the tables: %w", where, err)
		}
	}
	return &mysqlOrigins{db: db}, nil
}

// Update implements [OriginStore.Update].
func (m *mysqlOrigins) Update(ctx context.Context, origin string, f func(last Accepted, ok bool) (*Accepted, error)) (err error) {
	if _, err := m.db.ExecContext(ctx, `INSERT IGNORE INTO tinywindow_trail_origins (origin) VALUES (?)`, origin); err != nil {
		return fmt.Errorf("origin store: origin %q: %w", origin, err)
	}
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("origin store: origin %q: %w", origin, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	last, ok, err := scanAccepted(tx.QueryRowContext(ctx,
		`SELECT tree_size, root_hash, entry_index, note FROM tinywindow_trail_origins WHERE origin = ? FOR UPDATE`, origin))
	if err != nil {
		return fmt.Errorf("origin store: origin %q: %w", origin, err)
	}
	next, err := f(last, ok)
	if err != nil {
		return err
	}
	if next != nil {
		if next.Note == nil {
			return fmt.Errorf("origin store: origin %q: the accepted checkpoint has no note", origin)
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE tinywindow_trail_origins SET tree_size = ?, root_hash = ?, entry_index = ?, note = ? WHERE origin = ?`,
			uint64(next.N), next.Hash[:], next.Index, next.Note, origin); err != nil {
			return fmt.Errorf("origin store: origin %q: %w", origin, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("origin store: origin %q: %w", origin, err)
	}
	return nil
}

// scanAccepted reads an origin's row: ok is false if the origin has no
// row, or only its placeholder.
func scanAccepted(row *sql.Row) (a Accepted, ok bool, err error) {
	var size uint64
	var root, note []byte
	switch err := row.Scan(&size, &root, &a.Index, &note); {
	case errors.Is(err, sql.ErrNoRows):
		return Accepted{}, false, nil
	case err != nil:
		return Accepted{}, false, err
	case note == nil:
		return Accepted{}, false, nil
	case len(root) != len(a.Hash):
		return Accepted{}, false, fmt.Errorf("root hash of %d bytes, want %d: the row was changed", len(root), len(a.Hash))
	}
	a.N = int64(size)
	copy(a.Hash[:], root)
	a.Note = note
	return a, true, nil
}

// Latest implements [OriginStore.Latest].
func (m *mysqlOrigins) Latest(ctx context.Context, origin string) (Accepted, bool, error) {
	a, ok, err := scanAccepted(m.db.QueryRowContext(ctx,
		`SELECT tree_size, root_hash, entry_index, note FROM tinywindow_trail_origins WHERE origin = ?`, origin))
	if err != nil {
		return Accepted{}, false, fmt.Errorf("origin store: origin %q: %w", origin, err)
	}
	return a, ok, nil
}

// AddEvidence implements [OriginStore.AddEvidence].
func (m *mysqlOrigins) AddEvidence(ctx context.Context, e Evidence) error {
	proof := make([]byte, 0, len(e.Proof)*tlog.HashSize)
	for _, h := range e.Proof {
		proof = append(proof, h[:]...)
	}
	if _, err := m.db.ExecContext(ctx,
		`INSERT INTO tinywindow_trail_evidence (origin, accepted, refused, proof, reason, unix_nano) VALUES (?, ?, ?, ?, ?, ?)`,
		e.Origin, nonNil(e.Accepted), nonNil(e.Refused), proof, e.Reason, unixNano(e.Time)); err != nil {
		return fmt.Errorf("origin store: origin %q: storing evidence: %w", e.Origin, err)
	}
	return nil
}

// unixNano returns t as nanoseconds since the Unix epoch, or nil (NULL)
// for the zero time, which that count cannot hold.
func unixNano(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// nonNil returns b, or an empty slice for nil: a NOT NULL column.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Evidence implements [OriginStore.Evidence].
func (m *mysqlOrigins) Evidence(ctx context.Context, origin string) ([]Evidence, error) {
	rows, err := m.db.QueryContext(ctx,
		`SELECT accepted, refused, proof, reason, unix_nano FROM tinywindow_trail_evidence WHERE origin = ? ORDER BY id`, origin)
	if err != nil {
		return nil, fmt.Errorf("origin store: origin %q: reading evidence: %w", origin, err)
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		e := Evidence{Origin: origin}
		var proof []byte
		var ns sql.NullInt64
		if err := rows.Scan(&e.Accepted, &e.Refused, &proof, &e.Reason, &ns); err != nil {
			return nil, fmt.Errorf("origin store: origin %q: reading evidence: %w", origin, err)
		}
		if len(proof)%tlog.HashSize != 0 {
			return nil, fmt.Errorf("origin store: origin %q: evidence %d: a proof of %d bytes is not whole hashes: the row was changed", origin, len(out)+1, len(proof))
		}
		for ; len(proof) > 0; proof = proof[tlog.HashSize:] {
			e.Proof = append(e.Proof, tlog.Hash(proof[:tlog.HashSize]))
		}
		if ns.Valid {
			e.Time = time.Unix(0, ns.Int64)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("origin store: origin %q: reading evidence: %w", origin, err)
	}
	return out, nil
}

// Close implements [OriginStore.Close].
func (m *mysqlOrigins) Close() error { return m.db.Close() }
