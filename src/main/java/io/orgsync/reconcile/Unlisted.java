package io.orgsync.reconcile;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** What both reconcilers ask before a tombstone: which mirrored rows the identity provider did not list. */
public final class Unlisted {

    private Unlisted() {
    }

    /** The ids (column {@code id}) of the mirrored rows whose id is not among those listed, in row order. */
    public static List<String> ids(List<Map<String, Object>> mirrored, Set<String> listed) {
        return mirrored.stream().map(row -> String.valueOf(row.get("id"))).filter(id -> !listed.contains(id)).toList();
    }
}
