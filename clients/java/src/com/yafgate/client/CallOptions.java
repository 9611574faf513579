package com.yafgate.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What a call may add to its parameters: another v, file parts (multipart). */
public final class CallOptions {
    String v;
    final List<FilePart> files = new ArrayList<FilePart>();

    /** The method version to call instead of the client's (docs/protocol.md §7). */
    public CallOptions v(String version) {
        this.v = version;
        return this;
    }

    /**
     * A file part, sent unsigned beside data and sign in a multipart body
     * (docs/protocol.md §1.2): system.upload reads the part "image".
     */
    public CallOptions file(String part, String filename, String contentType, byte[] content) {
        files.add(new FilePart(part, filename, contentType, content.clone()));
        return this;
    }

    List<FilePart> files() {
        return Collections.unmodifiableList(files);
    }

    static final class FilePart {
        final String part;
        final String filename;
        final String contentType;
        final byte[] content;

        FilePart(String part, String filename, String contentType, byte[] content) {
            this.part = part;
            this.filename = filename;
            this.contentType = contentType;
            this.content = content;
        }
    }
}
