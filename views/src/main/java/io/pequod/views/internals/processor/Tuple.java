package io.pequod.views.internals.processor;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                writeField(out, keys[i]);
            }
        }
        return out.toByteArray();
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
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int s : slots) {
            writeField(out, bindings[s]);
        }
        return out.toByteArray();
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
        try {
            ByteArrayOutputStream bo = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bo);
            write(out);
            return bo.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void write(DataOutputStream out) throws IOException {
        out.writeByte(bindings.length);
        out.writeByte(keys.length);
        for (byte[] b : bindings) {
            writeNullable(out, b);
        }
        for (byte[] k : keys) {
            writeNullable(out, k);
        }
        writeNullable(out, value);
    }

    static Tuple read(DataInputStream in) throws IOException {
        byte[][] b = new byte[in.readUnsignedByte()][];
        byte[][] k = new byte[in.readUnsignedByte()][];
        for (int i = 0; i < b.length; i++) {
            b[i] = readNullable(in);
        }
        for (int i = 0; i < k.length; i++) {
            k[i] = readNullable(in);
        }
        return new Tuple(b, k, readNullable(in));
    }

    static Tuple decode(byte[] data) {
        try {
            return read(new DataInputStream(new java.io.ByteArrayInputStream(data)));
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt tuple in a view store", e);
        }
    }

    static void writeNullable(DataOutputStream out, byte[] b) throws IOException {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length);
            out.write(b);
        }
    }

    static byte[] readNullable(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }
}
