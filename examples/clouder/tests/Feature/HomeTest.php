<?php
// Feature test of the welcome page.

namespace Tests\Feature;

use Tests\TestCase;

class HomeTest extends TestCase
{
    public function test_the_home_page_answers()
    {
        $this->get('/')->assertOk();
    }
}
