package main

/*
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

// Status codes returned by every tw_* function. Their values never change.
enum {
	TW_OK = 0,                   // success
	TW_INVALID_SIGNATURE = 1,    // verify: the signature is not valid (not an error)
	TW_ERR_INVALID_ARGUMENT = 2, // a NULL pointer, a bad handle, a key of the wrong size
	TW_ERR_BUFFER_TOO_SMALL = 3, // *outlen holds the size needed
	TW_ERR_CLOSED = 4,           // the handle was closed
	TW_ERR_INVALID_CONFIG = 5,   // malformed URI, unknown scheme, missing or bad secret
	TW_ERR_KEY_NOT_FOUND = 6,
	TW_ERR_UNSUPPORTED = 7,      // algorithm or operation not offered by the key
	TW_ERR_UNAVAILABLE = 8,      // backend unreachable or busy; retrying may succeed
	TW_ERR_PERMISSION_DENIED = 9,
	TW_ERR_INTERNAL = 10,        // a bug in TinyWindow (a recovered Go panic)
	TW_ERR_UNKNOWN = 11          // an error outside the taxonomy
};

// TW_MVP_KEY_SIZE and TW_MVP_SIG_SIZE are the sizes of the MVP's keys and signatures.
#define TW_MVP_KEY_SIZE 32
#define TW_MVP_SIG_SIZE 32
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"
)

func init() { cEnv = cGetenv }

// cGetenv reads a variable from the C environment, which the host program
// may have changed since Go copied it at load time.
func cGetenv(name string) (string, bool) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	v := C.getenv(cname)
	if v == nil {
		return "", false
	}
	return C.GoString(v), true
}

// bytesIn views a caller's buffer as a slice, without copying. The slice must
// not outlive the call. A NULL pointer is accepted only with a zero length.
func bytesIn(p *C.uint8_t, n C.size_t, what string) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if p == nil {
		return nil, fmt.Errorf("%w: %s is NULL with length %d", errInvalidArgument, what, uint64(n))
	}
	if uint64(n) > math.MaxInt {
		return nil, fmt.Errorf("%w: %s length %d is too large", errInvalidArgument, what, uint64(n))
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)), nil
}

// writeErr writes err's message into the caller's error buffer, cut to fit and
// NUL-terminated, and returns err's status code.
func writeErr(err error, buf *C.char, bufCap C.size_t) C.int {
	st := statusOf(err)
	if buf != nil && bufCap > 0 {
		msg := err.Error()
		n := min(uint64(len(msg)), uint64(bufCap)-1)
		dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n)+1)
		copy(dst, msg[:n])
		dst[n] = 0
	}
	return C.int(st)
}

// recoverTo turns a panic into TW_ERR_INTERNAL with its message, so that no Go
// panic crosses into C. It is deferred by every exported function.
func recoverTo(code *C.int, buf *C.char, bufCap C.size_t) {
	if r := recover(); r != nil {
		*code = writeErr(fmt.Errorf("%w: Go panic: %v", errInternal, r), buf, bufCap)
	}
}

// writeOut copies data into a caller's output buffer and stores its length in
// *outLen; a buffer too small gets TW_ERR_BUFFER_TOO_SMALL and the length
// needed.
func writeOut(data []byte, out *C.char, outCap C.size_t, outLen *C.size_t, errBuf *C.char, errCap C.size_t) C.int {
	if outLen == nil {
		return writeErr(fmt.Errorf("%w: outlen is NULL", errInvalidArgument), errBuf, errCap)
	}
	*outLen = C.size_t(len(data))
	if uint64(len(data)) > uint64(outCap) {
		return writeErr(fmt.Errorf("%w: %d bytes needed, the buffer holds %d", errBufferTooSmall, len(data), uint64(outCap)), errBuf, errCap)
	}
	if len(data) > 0 {
		if out == nil {
			return writeErr(fmt.Errorf("%w: out is NULL", errInvalidArgument), errBuf, errCap)
		}
		copy(unsafe.Slice((*byte)(unsafe.Pointer(out)), len(data)), data)
	}
	return C.TW_OK
}

//export tw_abi_version
func tw_abi_version() C.int { return abiVersion }

//export tw_open
func tw_open(uri *C.char, uriLen C.size_t, handle *C.uint64_t, errBuf *C.char, errCap C.size_t) (code C.int) {
	defer recoverTo(&code, errBuf, errCap)
	if handle == nil {
		return writeErr(fmt.Errorf("%w: handle is NULL", errInvalidArgument), errBuf, errCap)
	}
	u, err := bytesIn((*C.uint8_t)(unsafe.Pointer(uri)), uriLen, "uri")
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	h, err := openKey(string(u)) // string() copies: nothing of the caller's memory is kept
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	*handle = C.uint64_t(h)
	return C.TW_OK
}

//export tw_sign
func tw_sign(h C.uint64_t, msg *C.uint8_t, msgLen C.size_t, out *C.uint8_t, outCap C.size_t, outLen *C.size_t, errBuf *C.char, errCap C.size_t) (code C.int) {
	defer recoverTo(&code, errBuf, errCap)
	if outLen == nil {
		return writeErr(fmt.Errorf("%w: outlen is NULL", errInvalidArgument), errBuf, errCap)
	}
	m, err := bytesIn(msg, msgLen, "msg")
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	if out == nil {
		outCap = 0
	}
	o, err := bytesIn(out, outCap, "out")
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	n, err := signInto(uint64(h), m, o)
	*outLen = C.size_t(n)
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	return C.TW_OK
}

//export tw_verify
func tw_verify(h C.uint64_t, msg *C.uint8_t, msgLen C.size_t, sig *C.uint8_t, sigLen C.size_t, errBuf *C.char, errCap C.size_t) (code C.int) {
	defer recoverTo(&code, errBuf, errCap)
	m, err := bytesIn(msg, msgLen, "msg")
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	s, err := bytesIn(sig, sigLen, "sig")
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	if err := verify(uint64(h), m, s); err != nil {
		return writeErr(err, errBuf, errCap)
	}
	return C.TW_OK
}

//export tw_public_key_pem
func tw_public_key_pem(h C.uint64_t, out *C.char, outCap C.size_t, outLen *C.size_t, errBuf *C.char, errCap C.size_t) (code C.int) {
	defer recoverTo(&code, errBuf, errCap)
	pem, err := publicKeyPEM(uint64(h))
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	return writeOut(pem, out, outCap, outLen, errBuf, errCap)
}

//export tw_key_info_json
func tw_key_info_json(h C.uint64_t, out *C.char, outCap C.size_t, outLen *C.size_t, errBuf *C.char, errCap C.size_t) (code C.int) {
	defer recoverTo(&code, errBuf, errCap)
	js, err := keyInfoJSON(uint64(h))
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	return writeOut(js, out, outCap, outLen, errBuf, errCap)
}

//export tw_close
func tw_close(h C.uint64_t, errBuf *C.char, errCap C.size_t) (code C.int) {
	defer recoverTo(&code, errBuf, errCap)
	if err := closeKey(uint64(h)); err != nil {
		return writeErr(err, errBuf, errCap)
	}
	return C.TW_OK
}

//export tw_providers_json
func tw_providers_json(out *C.char, outCap C.size_t, outLen *C.size_t, errBuf *C.char, errCap C.size_t) (code C.int) {
	defer recoverTo(&code, errBuf, errCap)
	js, err := providersJSON()
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	return writeOut(js, out, outCap, outLen, errBuf, errCap)
}

//export tw_mvp_keygen
func tw_mvp_keygen(seed C.uint64_t, out *C.uint8_t) (code C.int) {
	defer recoverTo(&code, nil, 0)
	if out == nil {
		return C.TW_ERR_INVALID_ARGUMENT
	}
	key := mvpKeygen(uint64(seed))
	copy(unsafe.Slice((*byte)(unsafe.Pointer(out)), mvpKeySize), key[:])
	clear(key[:])
	return C.TW_OK
}

//export tw_mvp_sign
func tw_mvp_sign(key *C.uint8_t, keyLen C.size_t, msg *C.uint8_t, msgLen C.size_t, out *C.uint8_t, errBuf *C.char, errCap C.size_t) (code C.int) {
	defer recoverTo(&code, errBuf, errCap)
	if out == nil {
		return writeErr(fmt.Errorf("%w: out is NULL", errInvalidArgument), errBuf, errCap)
	}
	k, err := bytesIn(key, keyLen, "key")
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	m, err := bytesIn(msg, msgLen, "msg")
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	if err := mvpSign(k, m, (*[mvpSigSize]byte)(unsafe.Pointer(out))); err != nil {
		return writeErr(err, errBuf, errCap)
	}
	return C.TW_OK
}

//export tw_mvp_verify
func tw_mvp_verify(key *C.uint8_t, keyLen C.size_t, msg *C.uint8_t, msgLen C.size_t, sig *C.uint8_t, sigLen C.size_t, errBuf *C.char, errCap C.size_t) (code C.int) {
	defer recoverTo(&code, errBuf, errCap)
	k, err := bytesIn(key, keyLen, "key")
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	m, err := bytesIn(msg, msgLen, "msg")
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	s, err := bytesIn(sig, sigLen, "sig")
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	ok, err := mvpVerify(k, m, s)
	if err != nil {
		return writeErr(err, errBuf, errCap)
	}
	if !ok {
		return C.TW_INVALID_SIGNATURE
	}
	return C.TW_OK
}
