package com.yafgate.client;

/** An answer's signature check: the verdict, the slot the gateway named, and why. */
public final class AnswerSign {
    public final Verdict verdict;
    /** X-Yafgate-Sign-Slot, or null when absent. */
    public final String slot;
    /** Why the verdict is tampered or unverifiable; null otherwise. */
    public final String reason;

    AnswerSign(Verdict verdict, String slot, String reason) {
        this.verdict = verdict;
        this.slot = slot;
        this.reason = reason;
    }

    @Override
    public String toString() {
        return verdict + (slot == null ? "" : " slot " + slot) + (reason == null ? "" : ": " + reason);
    }
}
