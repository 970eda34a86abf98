import ToggleButton from "@mui/material/ToggleButton";
import ToggleButtonGroup from "@mui/material/ToggleButtonGroup";

import { RANGES, type RangeKey } from "../metrics";

/** The Metrics view's range toggle (5m ... 7d), for a live chart and a dashboard alike. */
export function RangeToggle({ value, onChange }: { value: RangeKey; onChange: (range: RangeKey) => void }) {
  return (
    <ToggleButtonGroup
      size="small"
      exclusive
      value={value}
      onChange={(_, range: RangeKey | null) => {
        if (range) onChange(range);
      }}
      aria-label="Range"
      data-testid="metrics-range"
    >
      {RANGES.map((r) => (
        <ToggleButton
          key={r.key}
          value={r.key}
          data-testid={`metrics-range-${r.key}`}
          aria-label={`Last ${r.key}`}
          sx={{ px: 1.5 }}
        >
          {r.key}
        </ToggleButton>
      ))}
    </ToggleButtonGroup>
  );
}
