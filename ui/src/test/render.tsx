import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider, useLocation } from "react-router";

import { Root } from "../App";

function LocationProbe() {
  const location = useLocation();
  return <div data-testid="location" data-path={location.pathname} data-search={location.search} hidden />;
}

/** Renders the whole app (providers, layout, listeners) at `route`. */
export function renderApp(route = "/") {
  const user = userEvent.setup();
  // A data router, as in the app (App.tsx), so that useBlocker works.
  const router = createMemoryRouter(
    [
      {
        path: "*",
        element: (
          <>
            <Root />
            <LocationProbe />
          </>
        ),
      },
    ],
    { initialEntries: [route] },
  );
  const utils = render(<RouterProvider router={router} />);
  return { user, ...utils };
}

export function currentPath(): string | null {
  return screen.getByTestId("location").getAttribute("data-path");
}

export function currentSearch(): string | null {
  return screen.getByTestId("location").getAttribute("data-search");
}
