package io.pequod.ingest.source;

/** A source template that does not parse, with the offset of the problem in the template's text. */
public final class TemplateException extends IllegalArgumentException {
    private final int offset;

    /**
     * @param offset  where in the template (0-based)
     * @param message what is wrong and how to write it
     */
    public TemplateException(int offset, String message) {
        super(message);
        this.offset = offset;
    }

    /** @return where in the template the problem is (0-based) */
    public int offset() {
        return offset;
    }
}
