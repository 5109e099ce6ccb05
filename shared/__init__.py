"""What more than one service needs: contracts, bus, configuration, projection, HTTP pieces."""
