import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, useLocation } from "react-router";

import { Root } from "../App";

function LocationProbe() {
  const location = useLocation();
  return <div data-testid="location" data-path={location.pathname} data-search={location.search} hidden />;
}

/** Renders the whole app (providers, layout, listeners) at `route`. */
export function renderApp(route = "/") {
  const user = userEvent.setup();
  const utils = render(
    <MemoryRouter initialEntries={[route]}>
      <Root />
      <LocationProbe />
    </MemoryRouter>,
  );
  return { user, ...utils };
}

export function currentPath(): string | null {
  return screen.getByTestId("location").getAttribute("data-path");
}

export function currentSearch(): string | null {
  return screen.getByTestId("location").getAttribute("data-search");
}
