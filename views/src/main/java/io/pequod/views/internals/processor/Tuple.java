package io.pequod.views.internals.processor;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A partial join result: the slot values bound so far, the source keys that make it (its
 * identity), and the value source's value when the value source is among them.
 *
 * <p>Encoding (internal topics and stores only): for each slot then each source, a 4-byte length
 * (-1 for absent) and the bytes; then the value the same way. Arrays are shared, never mutated.
 */
public final class Tuple {
    final byte[][] bindings;
    final byte[][] keys;
    final byte[] value;

    Tuple(byte[][] bindings, byte[][] keys, byte[] value) {
        this.bindings = bindings;
        this.keys = keys;
        this.value = value;
    }

    /** @return the identity: the length-prefixed keys of the sources present, in source order */
    byte[] identity() {
        int n = 0;
        for (byte[] k : keys) {
            n += k == null ? 0 : 4 + k.length;
        }
        ByteBuffer out = ByteBuffer.allocate(n);
        for (byte[] k : keys) {
            if (k != null) {
                out.putInt(k.length).put(k);
            }
        }
        return out.array();
    }

    Tuple withValue(byte[] v) {
        return new Tuple(bindings, keys, v);
    }

    /**
     * @param other a tuple of another set of sources agreeing on shared slots
     * @return the union of both
     */
    Tuple combine(Tuple other) {
        byte[][] b = bindings.clone();
        for (int i = 0; i < b.length; i++) {
            if (b[i] == null) {
                b[i] = other.bindings[i];
            }
        }
        byte[][] k = keys.clone();
        for (int i = 0; i < k.length; i++) {
            if (k[i] == null) {
                k[i] = other.keys[i];
            }
        }
        return new Tuple(b, k, value != null ? value : other.value);
    }

    /**
     * @param slots slot indexes
     * @return the length-prefixed values of those slots: a key whose prefix scans find matches
     */
    byte[] keyOf(int[] slots) {
        int n = 0;
        for (int s : slots) {
            n += 4 + bindings[s].length;
        }
        ByteBuffer out = ByteBuffer.allocate(n);
        for (int s : slots) {
            out.putInt(bindings[s].length).put(bindings[s]);
        }
        return out.array();
    }

    static void writeField(ByteArrayOutputStream out, byte[] b) {
        int n = b.length;
        out.write(n >>> 24);
        out.write(n >>> 16);
        out.write(n >>> 8);
        out.write(n);
        out.write(b, 0, n);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    byte[] encode() {
        ByteBuffer buf = ByteBuffer.allocate(encodedSize());
        write(buf);
        return buf.array();
    }

    int encodedSize() {
        int n = 2 + 4 * (bindings.length + keys.length + 1);
        for (byte[] b : bindings) {
            n += b == null ? 0 : b.length;
        }
        for (byte[] k : keys) {
            n += k == null ? 0 : k.length;
        }
        return n + (value == null ? 0 : value.length);
    }

    void write(ByteBuffer out) {
        out.put((byte) bindings.length);
        out.put((byte) keys.length);
        for (byte[] b : bindings) {
            putNullable(out, b);
        }
        for (byte[] k : keys) {
            putNullable(out, k);
        }
        putNullable(out, value);
    }

    static Tuple read(ByteBuffer in) {
        byte[][] b = new byte[in.get() & 0xFF][];
        byte[][] k = new byte[in.get() & 0xFF][];
        for (int i = 0; i < b.length; i++) {
            b[i] = getNullable(in);
        }
        for (int i = 0; i < k.length; i++) {
            k[i] = getNullable(in);
        }
        return new Tuple(b, k, getNullable(in));
    }

    static Tuple decode(byte[] data) {
        try {
            return read(ByteBuffer.wrap(data));
        } catch (RuntimeException e) {
            throw new IllegalStateException("corrupt tuple in a view store", e);
        }
    }

    static void putNullable(ByteBuffer out, byte[] b) {
        if (b == null) {
            out.putInt(-1);
        } else {
            out.putInt(b.length);
            out.put(b);
        }
    }

    static byte[] getNullable(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

}
