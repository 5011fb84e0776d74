/** Host directories shared with environments: what is shared, where it appears, and how. */
package dev.linux.share;
