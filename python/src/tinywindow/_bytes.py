"""Argument checks shared by the tinywindow modules."""


def as_bytes(x, name):
    """Returns x as bytes. bytes pass through untouched; bytearray, memoryview
    and other buffers of single bytes are copied (so that a buffer changed by
    another thread during the call cannot tear the input); anything else,
    str included, is a TypeError that names the argument."""
    if type(x) is bytes:
        return x
    if isinstance(x, str):
        raise TypeError(f"{name} must be bytes, not str; encode it first, e.g. {name}.encode()")
    try:
        view = memoryview(x)
    except TypeError:
        raise TypeError(
            f"{name} must be bytes (or bytearray or memoryview), not {type(x).__name__}"
        ) from None
    with view:
        if view.itemsize != 1:
            raise TypeError(
                f"{name} must be bytes; got a buffer of {view.itemsize}-byte items "
                f"(format {view.format!r}); pass bytes(...) of its raw memory if that is what you mean"
            )
        return view.tobytes()
