package io.pequod.views.spec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * How a partial view is cut into ranges: one range per value of the sink's first slot, the keys
 * {@code [t|<v>|, t|<v>})}, and the source that binds that slot as its own first field (the
 * <em>driving</em> source, whose keys {@code s|<v>|...} decide which rows a range has). For
 * {@code t|<user>|<time>|<poster> = partial copy p|<poster>|<time> using s|<user>|<poster>}: one
 * user's timeline, driven by that user's subscriptions.
 *
 * @param view     the view table
 * @param slot     the range slot
 * @param width    its fixed width, or {@link Pattern.Slot#VARIABLE}
 * @param driving  the driving source's index in the join
 * @param table    the driving source's table
 * @param viewHead the sink's literal before the slot ({@code t|})
 * @param headOf   the driving source's literal before the slot ({@code s|})
 */
public record PartialRange(String view, String slot, int width, int driving, String table, byte[] viewHead, byte[] headOf) {
    private static final byte SEP = '|';

    /**
     * @param j a join
     * @return its ranges, if the join can be partial
     * @throws JoinSpecException naming the join if it cannot
     */
    public static PartialRange of(Join j) {
        List<Pattern.Element> es = j.sink().elements();
        if (es.size() < 3 || !(es.get(0) instanceof Pattern.Literal head) || !head.text().equals(j.sinkTable() + "|")
                || !(es.get(1) instanceof Pattern.Slot slot) || !(es.get(2) instanceof Pattern.Literal sep)
                || !sep.text().startsWith("|")) {
            throw new JoinSpecException(j.sink().position(), "a partial view's sink must start with a slot between separators,"
                    + " e.g. " + j.sinkTable() + "|<user>|...: its ranges are the values of that slot");
        }
        for (int i = 0; i < j.sources().size(); i++) {
            List<Pattern.Element> ses = j.sources().get(i).pattern().elements();
            String table = j.sources().get(i).table();
            if (ses.size() >= 3 && ses.get(0) instanceof Pattern.Literal h && h.text().equals(table + "|")
                    && ses.get(1) instanceof Pattern.Slot s && s.name().equals(slot.name())
                    && ses.get(2) instanceof Pattern.Literal l && l.text().startsWith("|")) {
                return new PartialRange(j.sinkTable(), slot.name(), slot.width(), i, table,
                        head.bytes(), h.bytes());
            }
        }
        throw new JoinSpecException(j.sink().position(), "a partial view needs a source that starts with its range slot <"
                + slot.name() + ">, e.g. s|<" + slot.name() + ">|...: that source's keys decide what a range holds");
    }

    /** @return the table's name as text, for messages */
    public String describe() {
        return view + "|<" + slot + ">|";
    }

    /** @param v a range value @return the first key of its range, {@code t|v|} */
    public byte[] viewPrefix(byte[] v) {
        return concat(viewHead, v);
    }

    /** @param v a range value @return the prefix of its driving source's keys, {@code s|v|} */
    public byte[] drivingPrefix(byte[] v) {
        return concat(headOf, v);
    }

    /**
     * @param key a key of the driving source's table
     * @return the range value it belongs to, or {@code null} if its shape does not fit
     */
    public byte[] valueOfDriving(byte[] key) {
        return valueAfter(headOf, key);
    }

    /**
     * @param prefix a range's first key, {@code t|v|}
     * @return v, or {@code null}
     */
    public byte[] valueOfViewPrefix(byte[] prefix) {
        byte[] v = valueAfter(viewHead, prefix);
        return v != null && viewHead.length + v.length + 1 == prefix.length ? v : null;
    }

    /**
     * @param first a read's first key (inclusive)
     * @param last  its end (exclusive), or {@code null} for a single key
     * @return the range value if the read lies within one range, else {@code null}
     */
    public byte[] valueOfRead(byte[] first, byte[] last) {
        byte[] v = valueAfter(viewHead, first);
        if (v == null) {
            return null;
        }
        if (last == null) {
            return v;
        }
        byte[] end = viewPrefix(v);
        end[end.length - 1] = SEP + 1; // t|v}
        return Arrays.compareUnsigned(last, end) <= 0 && Arrays.compareUnsigned(first, last) < 0 ? v : null;
    }

    private byte[] valueAfter(byte[] head, byte[] key) {
        if (key.length <= head.length || !Arrays.equals(key, 0, head.length, head, 0, head.length)) {
            return null;
        }
        int end;
        if (width > 0) {
            end = head.length + width;
            if (end >= key.length || key[end] != SEP) {
                return null;
            }
        } else {
            end = head.length;
            while (end < key.length && key[end] != SEP) {
                end++;
            }
            if (end >= key.length || end == head.length) {
                return null;
            }
        }
        return Arrays.copyOfRange(key, head.length, end);
    }

    private static byte[] concat(byte[] head, byte[] v) {
        byte[] out = Arrays.copyOf(head, head.length + v.length + 1);
        System.arraycopy(v, 0, out, head.length, v.length);
        out[out.length - 1] = SEP;
        return out;
    }

    @Override
    public String toString() {
        return describe() + " driven by " + new String(headOf, StandardCharsets.UTF_8) + "<" + slot + ">|";
    }
}
